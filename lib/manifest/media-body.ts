/**
 * The entry lines of one rendition's media playlist, kept between its versions, so a new version
 * writes only the entries appended since the last one. A DVR playlist keeps every entry of the
 * stream: writing (and hashing) the whole history again for each segment made a long event
 * quadratic. Entries are never changed once listed, so a block written once stays right as long as
 * the playlist still starts at the same entry; anything else (the window slid, a new presentation,
 * a restore) writes the blocks again from the current entries.
 *
 * The result is byte for byte renderMediaPlaylist()'s, and the ETag is the same SHA-1 of the whole
 * text, carried forward over the appended blocks instead of computed again from the start.
 */
import { createHash, type Hash } from 'node:crypto';
import { AppendedEntries } from './appended-entries';
import { etagOfHash } from './etag';
import { renderEntry, renderHeader, renderTrailer, requiredVersion } from './media-renderer';
import type { PlaylistEntry, RenditionState } from './rendition';

export interface MediaVersion {
  text: string;
  etag: string;
  /** False when the text is the one the previous call returned. */
  changed: boolean;
}

export class MediaBody {
  private readonly appended = new AppendedEntries();
  private body = '';
  private mapInForce: string | undefined;
  private header = '';
  private trailer = '';
  /** SHA-1 over header + body: the ETag's state before the trailer. */
  private hash: Hash | undefined;

  /**
   * The playlist for `r` as it is now. Folds what the appended entries require into r.version
   * (which never goes down), before the header is written with it.
   */
  render(r: RenditionState, targetDuration: number, blockingReload: boolean): MediaVersion {
    const appended = this.appended.since(r.entries);
    let blocks: string[] = [];
    if (appended === undefined) {
      this.body = '';
      this.mapInForce = undefined;
      for (const e of r.entries) this.append(e);
    } else {
      blocks = appended.map((e) => this.append(e));
    }
    const rewritten = appended === undefined;
    r.version = Math.max(r.version, requiredVersion(appended ?? r.entries));
    const header = renderHeader(r, targetDuration, blockingReload);
    const trailer = renderTrailer(r);
    const changed = rewritten || blocks.length > 0 || header !== this.header || trailer !== this.trailer;
    if (rewritten || header !== this.header || !this.hash) {
      this.hash = createHash('sha1').update(header).update(this.body);
    } else {
      for (const block of blocks) this.hash.update(block);
    }
    this.header = header;
    this.trailer = trailer;
    return { text: header + this.body + trailer, etag: etagOfHash(this.hash.copy().update(trailer)), changed };
  }

  /** Writes one entry's block at the end of the body, and returns it. */
  private append(e: PlaylistEntry): string {
    const block = renderEntry(e, this.mapInForce);
    this.mapInForce = block.mapInForce;
    this.body += block.text;
    return block.text;
  }
}
