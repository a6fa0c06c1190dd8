/**
 * hls.js fragment loader (fLoader): media segments through the peer engine. It reports honest
 * stats so ABR keeps working: real progress while bytes arrive (so hls.js's abandon rule sees a
 * live transfer), and for a segment that was already here, the time its own transfer took. hls.js
 * gets its own copy of the bytes, so a transmux worker that detaches it never touches the store.
 * Init segments, byte ranges, a session without an engine and a segment that left the engine's
 * window go to hls.js's own loader, exactly as plain hls.js would load them. (The engine's own HTTP —
 * the named fetcher's prefetch and the deadline's Range resume of a partial peer transfer — uses
 * the platform's fetch: it streams into the segment's buffer, which hls.js's loaders cannot.)
 */
import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import { loadWithHlsLoader, type HlsLoaderConfig } from './hls-http';
import { newLoaderStats, resetLoaderStats } from './loader-stats';
import type { RelaycastSession } from './session';
import { markStartup } from './startup-marks';

export function fragmentLoaderClass(session: RelaycastSession): new (config: HlsLoaderConfig) => Loader<FragmentLoaderContext> {
  return class RelaycastFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = newLoaderStats();
    private callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
    private controller: AbortController | undefined;
    private timer: ReturnType<typeof setTimeout> | undefined;
    /** hls.js's own loader, when the fragment went to HTTP as plain hls.js loads it. */
    private http: Loader<FragmentLoaderContext> | undefined;

    constructor(private readonly hlsConfig: HlsLoaderConfig) {}

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      this.context = context;
      this.callbacks = callbacks;
      session.noteFragmentRequest();
      const engine = session.peerEngine;
      // hls.js always sets rangeStart/rangeEnd; a byte range is meant only when rangeEnd is non-zero.
      if (!engine || context.frag.sn === 'initSegment' || !!context.rangeEnd) return this.overHttp(context, config, callbacks);
      const policy = config.loadPolicy;
      // Asked first: the session learns here that playback wants fragments (it starts linking).
      const budgetMs = session.budgetMs(context.url, context.frag.duration, (policy?.maxTimeToFirstByteMs ?? 10_000) - 500);
      // A segment the swarm never announced (not joined yet, or older than its window).
      if (engine.store.sequenceOf(context.url) === undefined) return this.overHttp(context, config, callbacks, true);
      markStartup('frag-engine');
      const stats = resetLoaderStats(this.stats);
      stats.loading.start = performance.now();
      const controller = new AbortController();
      this.controller = controller;
      const maxLoadMs = policy?.maxLoadTimeMs ?? 120_000;
      // hls.js leaves the load timeout to the loader: enforce maxLoadTimeMs ourselves.
      this.timer = setTimeout(() => {
        if (stats.loading.end || this.callbacks !== callbacks) return;
        controller.abort();
        this.callbacks = null;
        callbacks.onTimeout(stats, context, null);
      }, maxLoadMs);

      engine
        .loadSegment(context.url, {
          budgetMs,
          signal: controller.signal,
          onProgress: (loaded, total) => {
            if (stats.loading.first === 0) stats.loading.first = performance.now();
            stats.loaded = loaded;
            stats.total = total;
          },
        })
        .then(
          (result) => {
            if (this.callbacks !== callbacks) return;
            clearTimeout(this.timer);
            const now = performance.now();
            stats.loading.start = Math.min(stats.loading.start, result.startedAt);
            stats.loading.first = Math.max(stats.loading.start, Math.min(result.firstByteAt, now));
            stats.loading.end = now;
            stats.loaded = stats.total = result.bytes.byteLength;
            stats.chunkCount = 1;
            markStartup(`frag-${result.source}`);
            callbacks.onProgress?.(stats, context, result.bytes, null);
            // onProgress may have aborted or destroyed us.
            if (this.callbacks === callbacks) callbacks.onSuccess({ url: context.url, data: result.bytes }, stats, context, null);
          },
          (err: unknown) => {
            if (this.callbacks !== callbacks || controller.signal.aborted) return;
            clearTimeout(this.timer);
            // The engine left this segment's swarm (the player switched rendition) or dropped it from
            // its window: the player still wants the bytes, so load them as plain hls.js would.
            const code = (err as { code?: string }).code;
            if (code === 'E_ABORTED' || code === 'E_UNKNOWN_SEGMENT') return this.overHttp(context, config, callbacks, code === 'E_UNKNOWN_SEGMENT');
            this.callbacks = null;
            const status = (err as { status?: number }).status;
            callbacks.onError({ code: status ?? 0, text: err instanceof Error ? err.message : String(err) }, context, null, stats);
          },
        );
    }

    abort(): void {
      if (this.http) return this.http.abort();
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
      this.http?.destroy();
      if (!this.stats.loading.end) this.controller?.abort();
      clearTimeout(this.timer);
      this.callbacks = null;
      this.context = null;
    }

    /** hls.js's own loader takes the load; its bytes count as HTTP in the page's figures (`unannounced`: the engine did not know it). */
    private overHttp(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<FragmentLoaderContext>,
      unannounced = false,
    ): void {
      if (context.frag.sn !== 'initSegment') markStartup('frag-hls-http');
      this.http = loadWithHlsLoader(this.hlsConfig, this.stats, context, config, {
        ...callbacks,
        onSuccess: (response, stats, ctx, details) => {
          const data = response.data;
          const size = typeof data === 'string' ? data.length : data instanceof ArrayBuffer ? data.byteLength : 0;
          // Init segments count as bytes only, as before; a media segment is one of the page's HTTP segments.
          if (context.frag.sn === 'initSegment') session.peerEngine?.countBytes('http', size);
          else session.peerEngine?.countHttpSegment(size, unannounced);
          callbacks.onSuccess(response, stats, ctx, details);
        },
      });
    }
  };
}
