/**
 * hls.js playlist loader (pLoader): master and media playlists from the copies signaling pushes
 * over the swarm socket, so a viewer in a swarm almost never polls the origin. A blocking reload
 * (`_HLS_msn`) is answered when the push that lists that segment arrives. Anything the socket
 * cannot answer in time (down, stale copy, other playlist types) goes to hls.js's own loader, so an
 * origin error is retried and reported exactly as plain hls.js would.
 */
import type { Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats, PlaylistLoaderContext } from 'hls.js';
import { loadWithHlsLoader, type HlsLoaderConfig } from './hls-http';
import { newLoaderStats, resetLoaderStats } from './loader-stats';
import type { RelaycastSession } from './session';
import { startAlignedAgeMs } from '../../lib/peer/start-aligned-age';
import { markStartup } from './startup-marks';

export function playlistLoaderClass(session: RelaycastSession): new (config: HlsLoaderConfig) => Loader<PlaylistLoaderContext> {
  return class RelaycastPlaylistLoader implements Loader<PlaylistLoaderContext> {
    context: PlaylistLoaderContext | null = null;
    stats: LoaderStats = newLoaderStats();
    private callbacks: LoaderCallbacks<PlaylistLoaderContext> | null = null;
    private controller: AbortController | undefined;
    /** hls.js's own loader, once the request went to HTTP. */
    private http: Loader<PlaylistLoaderContext> | undefined;

    constructor(private readonly hlsConfig: HlsLoaderConfig) {}

    load(context: PlaylistLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<PlaylistLoaderContext>): void {
      this.context = context;
      this.callbacks = callbacks;
      const isMaster = context.type === 'manifest';
      const isMedia = context.type === 'level';
      const rendition = isMedia ? session.renditionFromUrl(context.url) : null;
      const engine = isMaster || isMedia ? session.engineFor(context.url, rendition) : undefined;
      const step = isMaster ? 'master' : 'media';
      if (!engine) {
        markStartup(`${step}-http`);
        this.http = loadWithHlsLoader(this.hlsConfig, this.stats, context, config, callbacks);
        return;
      }
      const stats = resetLoaderStats(this.stats);
      stats.loading.start = performance.now();
      const controller = new AbortController();
      this.controller = controller;
      const timeout = setTimeout(() => {
        if (this.callbacks !== callbacks || stats.loading.end) return;
        controller.abort();
        this.callbacks = null;
        callbacks.onTimeout(stats, context, null);
      }, config.loadPolicy?.maxLoadTimeMs ?? 20_000);
      engine.playlistCopy({ url: context.url, rendition, msn: context.deliveryDirectives?.msn, signal: controller.signal }).then(
        (copy) => {
          clearTimeout(timeout);
          if (this.callbacks !== callbacks) return;
          if (copy === undefined) {
            markStartup(`${step}-http`);
            engine.notePlaylistFromHttp();
            this.http = loadWithHlsLoader(this.hlsConfig, stats, context, config, callbacks);
            return;
          }
          markStartup(`${step}-socket`);
          const now = performance.now();
          // hls.js dates a live playlist by its first byte (advancedDateTime) and places the live edge
          // and its latency by that date. A socket copy is as old as the server says (a welcome's or
          // the page's copy, up to a segment): dated at delivery, a late joiner's hls.js took itself
          // for closer to live than it was and never caught up. Before hls.js picks its start, the age
          // counts in whole segments, so it starts on a segment boundary (lib/peer/start-aligned-age.ts).
          // loading.start stays the request's time: hls.js schedules the next reload from it, and
          // dated back by the age it reloaded at once, over HTTP before the welcome (for playlists
          // hls.js reads first and start separately, never first − start).
          const ageMs = isMedia && session.choosingStart ? startAlignedAgeMs(copy.ageMs, copy.text) : copy.ageMs;
          stats.loading.first = now - ageMs;
          stats.loading.end = now;
          stats.loaded = stats.total = copy.text.length;
          callbacks.onSuccess({ url: context.url, data: copy.text }, stats, context, null);
        },
        (err: unknown) => {
          clearTimeout(timeout);
          if (this.callbacks !== callbacks || controller.signal.aborted) return;
          this.callbacks = null;
          callbacks.onError({ code: 0, text: err instanceof Error ? err.message : String(err) }, context, null, stats);
        },
      );
    }

    abort(): void {
      if (this.http) return this.http.abort();
      if (this.stats.loading.end) return;
      this.stats.aborted = true;
      this.controller?.abort();
      const callbacks = this.callbacks;
      this.callbacks = null;
      if (callbacks?.onAbort && this.context) callbacks.onAbort(this.stats, this.context, null);
    }

    destroy(): void {
      this.http?.destroy();
      if (!this.stats.loading.end) this.controller?.abort();
      this.callbacks = null;
      this.context = null;
    }
  };
}
