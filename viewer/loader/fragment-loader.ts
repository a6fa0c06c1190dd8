/**
 * hls.js fragment loader (fLoader): media segments through the peer engine. It reports honest
 * stats so ABR keeps working: real progress while bytes arrive (so hls.js's abandon rule sees a
 * live transfer), and for a segment that was already here, the time its own transfer took. hls.js
 * gets its own copy of the bytes, so a transmux worker that detaches it never touches the store.
 * Init segments, byte ranges and a session without an engine go over HTTP unchanged.
 */
import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import { fetchWhole } from '../../lib/peer/http-fetch';
import { newLoaderStats } from './loader-stats';
import type { RelaycastSession } from './session';

export function fragmentLoaderClass(session: RelaycastSession): new (config: unknown) => Loader<FragmentLoaderContext> {
  return class RelaycastFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = newLoaderStats();
    private callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
    private controller: AbortController | undefined;
    private timer: ReturnType<typeof setTimeout> | undefined;

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      this.context = context;
      this.callbacks = callbacks;
      this.stats = newLoaderStats();
      const stats = this.stats;
      stats.loading.start = performance.now();
      const controller = new AbortController();
      this.controller = controller;
      const policy = config.loadPolicy;
      const maxLoadMs = policy?.maxLoadTimeMs ?? 120_000;
      // hls.js leaves the load timeout to the loader: enforce maxLoadTimeMs ourselves.
      this.timer = setTimeout(() => {
        if (stats.loading.end || this.callbacks !== callbacks) return;
        controller.abort();
        this.callbacks = null;
        callbacks.onTimeout(stats, context, null);
      }, maxLoadMs);

      const engine = session.peerEngine;
      // hls.js always sets rangeStart/rangeEnd; a byte range is meant only when rangeEnd is non-zero.
      const plainHttp = !engine || context.frag.sn === 'initSegment' || !!context.rangeEnd;
      const viaEngine = (e: NonNullable<typeof engine>) => e.loadSegment(context.url, {
        budgetMs: session.budgetMs(context.url, context.frag.duration, (policy?.maxTimeToFirstByteMs ?? 10_000) - 500),
        signal: controller.signal,
        onProgress: (loaded, total) => {
          if (stats.loading.first === 0) stats.loading.first = performance.now();
          stats.loaded = loaded;
          stats.total = total;
        },
      }).catch((err: unknown) => {
        // The engine left this segment's swarm (the player switched rendition) or dropped it from
        // its window: the player still wants the bytes, so fetch them directly rather than fail.
        const code = (err as { code?: string }).code;
        if (!controller.signal.aborted && (code === 'E_ABORTED' || code === 'E_UNKNOWN_SEGMENT')) return this.loadOverHttp(context, controller);
        throw err;
      });
      const work = plainHttp ? this.loadOverHttp(context, controller) : viaEngine(engine);
      work.then(
        (result) => {
          if (this.callbacks !== callbacks) return;
          clearTimeout(this.timer);
          const now = performance.now();
          stats.loading.start = Math.min(stats.loading.start, result.startedAt);
          stats.loading.first = Math.max(stats.loading.start, Math.min(result.firstByteAt, now));
          stats.loading.end = now;
          stats.loaded = stats.total = result.bytes.byteLength;
          stats.chunkCount = 1;
          callbacks.onProgress?.(stats, context, result.bytes, null);
          // onProgress may have aborted or destroyed us.
          if (this.callbacks === callbacks) callbacks.onSuccess({ url: context.url, data: result.bytes }, stats, context, null);
        },
        (err: unknown) => {
          if (this.callbacks !== callbacks || controller.signal.aborted) return;
          clearTimeout(this.timer);
          this.callbacks = null;
          const status = (err as { status?: number }).status;
          callbacks.onError({ code: status ?? 0, text: err instanceof Error ? err.message : String(err) }, context, null, stats);
        },
      );
    }

    abort(): void {
      // Aborting a finished load is a no-op: hls.js aborts loaders it is done with.
      if (this.stats.loading.end) return;
      this.stats.aborted = true;
      this.controller?.abort();
      clearTimeout(this.timer);
      const callbacks = this.callbacks;
      this.callbacks = null;
      if (callbacks?.onAbort && this.context) callbacks.onAbort(this.stats, this.context, null);
    }

    destroy(): void {
      if (!this.stats.loading.end) this.controller?.abort();
      clearTimeout(this.timer);
      this.callbacks = null;
      this.context = null;
    }

    private async loadOverHttp(context: FragmentLoaderContext, controller: AbortController) {
      const startedAt = performance.now();
      const headers: Record<string, string> = {};
      if (context.rangeEnd) {
        // hls.js's rangeEnd is exclusive; HTTP's is inclusive.
        headers.Range = `bytes=${context.rangeStart ?? 0}-${context.rangeEnd - 1}`;
      }
      const bytes = Object.keys(headers).length > 0
        ? await (await fetch(context.url, { headers, signal: controller.signal })).arrayBuffer()
        : await fetchWhole((url, init) => fetch(url, init) as never, context.url, controller.signal);
      session.peerEngine?.countBytes('http', bytes.byteLength);
      const now = performance.now();
      return { bytes, startedAt, firstByteAt: now, finishedAt: now };
    }
  };
}
