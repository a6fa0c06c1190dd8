/**
 * The playlist endpoints of one manifest node: master, media (with blocking reload) and health,
 * answered from the versions that are on disk (DurableView), with request counters for health.
 * Registered on the shared dispatcher (./dispatcher.ts), which supplies the error boundary.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { playlistCacheControl } from '../cache-policy';
import type { DurableView } from '../durable-view';
import type { RenderedPlaylist } from '../manifest-core';
import { BlockingReloads } from './blocking-reload';
import type { ManifestPaths } from './paths';
import { sendJson, sendPlaylist, sendText } from './playlist-response';
import { blockingReloadDirective, presentationOf } from '../../hls/playlist-query';

export interface RequestCounters {
  master: number;
  media: number;
  health: number;
  notModified: number;
  notFound: number;
  blocked: number;
}

export interface EndpointOptions {
  paths: ManifestPaths;
  /** What is served: only versions whose state is on disk. */
  playlists: Pick<DurableView, 'masterPlaylist' | 'mediaPlaylist'>;
  /** Health per stream id (public: no node or session ids). */
  health(): Record<string, unknown>;
  /** Honour `_HLS_msn` (blocking playlist reload). */
  blockingReload: boolean;
  /** Cap on held blocking requests (BlockingReloads' default when absent). */
  maxHeld?: number;
  /** Told of every playlist response: its stream and the body bytes sent (0 for 304 and HEAD). */
  served?(stream: string, bytes: number): void;
}

export class PlaylistEndpoints {
  readonly counters: RequestCounters = { master: 0, media: 0, health: 0, notModified: 0, notFound: 0, blocked: 0 };
  private readonly blocking: BlockingReloads;

  constructor(private readonly options: EndpointOptions) {
    this.blocking = new BlockingReloads(options.maxHeld);
  }

  /** Whether `pathname` is one of this node's paths (for a stream it serves). */
  matches(pathname: string): boolean {
    return this.options.paths.matches(pathname);
  }

  /** Answers `pathname` (relative to httpNodeRoot); false when it is none of this node's paths. */
  handle(pathname: string, req: IncomingMessage, res: ServerResponse): boolean {
    const { paths, playlists } = this.options;
    const master = paths.master.match(pathname);
    if (master && paths.acceptsStream(master.stream)) {
      this.counters.master += 1;
      const playlist = playlists.masterPlaylist(paths.streamOf(master));
      if (!playlist) return this.notFound(res);
      this.respond(req, res, playlist);
      return true;
    }
    const media = paths.media.match(pathname);
    if (media && paths.acceptsStream(media.stream)) {
      this.counters.media += 1;
      const presentation = presentationOf(req.url);
      const playlist = presentation === undefined ? undefined : playlists.mediaPlaylist(paths.streamOf(media), media.rendition!, presentation);
      if (!playlist) return this.notFound(res);
      const directive = blockingReloadDirective(req.url);
      if (this.options.blockingReload && directive) {
        this.blocking.answer(
          directive,
          playlist,
          res,
          (p) => this.respond(req, res, p),
          () => {
            this.counters.blocked += 1;
          },
        );
        return true;
      }
      this.respond(req, res, playlist);
      return true;
    }
    const health = paths.health.match(pathname);
    if (health && paths.acceptsStream(health.stream)) {
      this.counters.health += 1;
      const all = this.options.health();
      const streams = health.stream !== undefined ? (health.stream in all ? { [health.stream]: all[health.stream] } : undefined) : all;
      if (!streams) return this.notFound(res);
      // Public like the playlists: no node or session ids (they name the flow and the encoder's runs).
      sendJson(req, res, 200, { streams, requests: { ...this.counters } });
      return true;
    }
    return false;
  }

  /** A new version of a media playlist is on disk: answer the held requests it satisfies. */
  published(p: RenderedPlaylist): void {
    this.blocking.published(p);
  }

  /** The node closes: every held request gets 503. */
  close(): void {
    this.blocking.closeAll();
  }

  private respond(req: IncomingMessage, res: ServerResponse, playlist: RenderedPlaylist): void {
    const notModified = sendPlaylist(req, res, playlist, playlistCacheControl(playlist.targetDuration, playlist.ended)) === 'not-modified';
    if (notModified) this.counters.notModified += 1;
    this.options.served?.(playlist.stream, notModified || req.method === 'HEAD' ? 0 : Buffer.byteLength(playlist.text));
  }

  private notFound(res: ServerResponse): boolean {
    this.counters.notFound += 1;
    sendText(res, 404, 'no segments listed yet\n');
    return true;
  }
}
