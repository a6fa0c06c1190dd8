/**
 * The playlist versions whose state is on disk: the only ones manifest serves and sends. A version
 * served from memory before its state was saved could be lost by a crash (kill -9), and the
 * restored state would then give its media sequence numbers to other segments: a player that saw
 * MSN n name one segment would later see it name another. Versions are taken in the order their
 * saves complete, which is the order they were made.
 */
import type { ManifestCore, ManifestUpdate, RenderedPlaylist } from './manifest-core';

const keyOf = (stream: string, rendition: string): string => `${stream}\u0000${rendition}`;

export class DurableView {
  private readonly media = new Map<string, RenderedPlaylist>();
  private readonly masters = new Map<string, RenderedPlaylist>();

  constructor(private readonly core: ManifestCore) {}

  /** Everything the core holds is on disk (just restored from it, or nothing yet). */
  takeAll(): void {
    for (const stream of this.core.streamIds()) {
      const master = this.core.masterPlaylist(stream);
      if (master) this.masters.set(stream, master);
      for (const rendition of this.core.renditionIds(stream)) {
        const p = this.core.mediaPlaylist(stream, rendition);
        if (p) this.media.set(keyOf(stream, rendition), p);
      }
    }
  }

  /** The state these versions came from is on disk. */
  take(update: ManifestUpdate): void {
    for (const p of update.media) this.media.set(keyOf(p.stream, p.rendition!), p);
    if (update.master) this.masters.set(update.stream, update.master);
  }

  masterPlaylist(stream: string): RenderedPlaylist | undefined {
    return this.masters.get(stream);
  }

  /** The current presentation as saved; an earlier (finished, never changing) one from the core. */
  mediaPlaylist(stream: string, rendition: string, presentation?: number): RenderedPlaylist | undefined {
    const saved = this.media.get(keyOf(stream, rendition));
    if (presentation === undefined || presentation === (saved?.presentation ?? 0)) return saved;
    if (saved !== undefined && presentation < (saved.presentation ?? 0)) return this.core.mediaPlaylist(stream, rendition, presentation);
    return undefined;
  }
}
