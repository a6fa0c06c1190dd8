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
 *
 * In LL-HLS the last few entries list their parts, and lose them as newer ones arrive: those are
 * rendered with the trailer, for each version, and join the kept body once their parts are gone.
 */
import { createHash, type Hash } from 'node:crypto';
import { AppendedEntries } from './appended-entries';
import { etagOfHash } from './etag';
import { firstWithParts, renderEntry, renderHeader, renderTrailer, requiredVersion, type LowLatencyView } from './media-renderer';
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
  render(r: RenditionState, targetDuration: number, blockingReload: boolean, ll?: LowLatencyView): MediaVersion {
    const split = firstWithParts(r.entries, ll);
    const kept = split === r.entries.length ? r.entries : r.entries.slice(0, split);
    const withParts = r.entries.slice(split);
    const appended = this.appended.since(kept);
    let blocks: string[] = [];
    if (appended === undefined) {
      this.body = '';
      this.mapInForce = undefined;
      for (const e of kept) this.append(e);
    } else {
      blocks = appended.map((e) => this.append(e));
    }
    const rewritten = appended === undefined;
    r.version = Math.max(r.version, requiredVersion(appended ?? kept), requiredVersion(withParts));
    const header = renderHeader(r, targetDuration, blockingReload, ll);
    let mapInForce = this.mapInForce;
    let trailer = '';
    for (const e of withParts) {
      const block = renderEntry(e, mapInForce, true);
      trailer += block.text;
      mapInForce = block.mapInForce;
    }
    trailer += renderTrailer(r, ll);
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
