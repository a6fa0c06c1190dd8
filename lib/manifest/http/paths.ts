/**
 * The three URL paths one manifest node answers (master, media, health), compiled from its config.
 * Everything that turns a stream and rendition into a path, or a request path back into them, goes
 * through here: the routes, the master's variant links and the key of each `playlist` msg.
 */
import { isId } from '../../protocol/msgs';
import { RelaycastError } from '../../errors';
import type { RenderedPlaylist } from '../manifest-core';
import { compilePathTemplate, relativeUri, type PathTemplate } from '../path-template';

export const DEFAULT_PATHS = {
  master: '/live/{stream}/master.m3u8',
  media: '/live/{stream}/{rendition}.m3u8',
  health: '/live/{stream}/health.json',
};

export interface PathConfig {
  /** Empty or absent: the default path. */
  master?: string;
  media?: string;
  health?: string;
  /** The one stream this node serves; empty = any stream, named by `{stream}` in the paths. */
  stream?: string;
}

export class ManifestPaths {
  readonly master: PathTemplate;
  readonly media: PathTemplate;
  readonly health: PathTemplate;
  /** The one stream served, or '' for any. */
  readonly fixedStream: string;

  /** Throws E_MANIFEST_CONFIG for a path that is not a safe template or lacks a placeholder it needs. */
  constructor(config: PathConfig) {
    this.fixedStream = (config.stream ?? '').trim();
    const needStream = this.fixedStream ? [] : (['stream'] as const);
    this.master = compilePathTemplate(config.master || DEFAULT_PATHS.master, 'master', [...needStream]);
    this.media = compilePathTemplate(config.media || DEFAULT_PATHS.media, 'media', [...needStream, 'rendition']);
    this.health = compilePathTemplate(config.health || DEFAULT_PATHS.health, 'health', []);
  }

  get templates(): string[] {
    return [this.master.template, this.media.template, this.health.template];
  }

  /** Streams the routes are limited to (empty = any), for the dispatcher's duplicate check. */
  get streams(): string[] {
    return this.fixedStream ? [this.fixedStream] : [];
  }

  /** A path without `{stream}` (fixed stream) matches no stream id: it is the fixed one. */
  acceptsStream(stream: string | undefined): boolean {
    return stream === undefined || !this.fixedStream || stream === this.fixedStream;
  }

  /** The stream a matched path names. */
  streamOf(matched: { stream?: string }): string {
    return matched.stream ?? this.fixedStream;
  }

  /** Whether one of the three paths (for a stream this node serves) is `pathname`. */
  matches(pathname: string): boolean {
    return [this.master, this.media, this.health].some((t) => {
      const m = t.match(pathname);
      return m !== undefined && this.acceptsStream(m.stream);
    });
  }

  masterPath(stream: string): string {
    return this.master.fill(this.values(stream));
  }

  mediaPath(stream: string, rendition: string): string {
    return this.media.fill({ ...this.values(stream), rendition });
  }

  /** The variant URI the master lists: the media path, relative to the master's. */
  variantUri(stream: string, rendition: string): string {
    return relativeUri(this.masterPath(stream), this.mediaPath(stream, rendition));
  }

  /** Object key of a playlist (its path without the leading slash), for the `playlist` msg. */
  keyOf(p: RenderedPlaylist): string {
    return (p.rendition === null ? this.masterPath(p.stream) : this.mediaPath(p.stream, p.rendition)).slice(1);
  }

  /** A rendition named like the master or health path (e.g. "master") could never be fetched. */
  refuseShadowedRendition(stream: unknown, rendition: unknown): void {
    // Ids that break the contract's rule are refused by the core with their own code.
    if (!isId(stream) || !isId(rendition)) return;
    const mediaPath = this.mediaPath(stream, rendition);
    if (this.master.match(mediaPath) || this.health.match(mediaPath)) {
      throw new RelaycastError('E_MANIFEST_BAD_ID', `rendition ${rendition} would be served at ${mediaPath}, which is the master or health path`);
    }
  }

  private values(stream: string): { stream: string } {
    return { stream: this.fixedStream || stream };
  }
}
