/**
 * Sends the LL-HLS parts an encoder lists (EXT-X-PART) as 'part' msgs, each once, before the whole
 * segment they belong to: those of a fresh segment just before its segment msg, those of the
 * segment still being written as they appear. Parts are best effort (lib/protocol/msgs/part.ts):
 * one that cannot be read is skipped in silence, since its whole segment follows anyway, and none
 * is journaled or sent again after a restart.
 */
import { contentTypeFor } from '../hls/content-types';
import type { PartMsg } from '../protocol/msgs';
import type { MediaPart } from './playlist';
import type { FileBytes } from './segment-file';

export interface PartOwner {
  stream: string;
  rendition: string;
  session: string;
  /** The encoder's media sequence number of the segment the parts belong to. */
  encoderSequence: number;
  /** Relaycast's sequence that segment gets (its segment msg carries the same). */
  sequence: number;
  partTarget: number;
  programDateTime?: string;
}

export interface PartSenderContext {
  /** Reads a listed file (resolved inside the watched folder); throws when it cannot. */
  read(uri: string): Promise<FileBytes>;
  emit(msg: PartMsg): void;
  isClosed(): boolean;
}

export class PartSender {
  /** The segment whose parts were sent last, and how many of them. */
  private sent: { session: string; encoderSequence: number; count: number } | undefined;

  constructor(private readonly ctx: PartSenderContext) {}

  async send(owner: PartOwner, parts: readonly MediaPart[]): Promise<void> {
    const same = this.sent && this.sent.session === owner.session && this.sent.encoderSequence === owner.encoderSequence;
    // Parts of a segment before the one sent last are stale: its segment msg has gone out.
    if (this.sent && this.sent.session === owner.session && owner.encoderSequence < this.sent.encoderSequence) return;
    let index = same ? this.sent!.count : 0;
    this.sent = { session: owner.session, encoderSequence: owner.encoderSequence, count: index };
    for (; index < parts.length; index++) {
      if (this.ctx.isClosed()) return;
      const part = parts[index];
      this.sent.count = index + 1;
      let file: FileBytes;
      try {
        file = await this.ctx.read(part.uri);
      } catch {
        continue;
      }
      this.ctx.emit({
        topic: 'part',
        payload: file.bytes,
        part: {
          stream: owner.stream,
          rendition: owner.rendition,
          session: owner.session,
          sequence: owner.sequence,
          index,
          duration: part.duration,
          independent: part.independent,
          partTarget: owner.partTarget,
          byteLength: file.bytes.length,
          sha256: file.sha256,
          uri: part.uri,
          contentType: contentTypeFor(part.uri),
          ...(owner.programDateTime ? { programDateTime: owner.programDateTime } : {}),
        },
      });
    }
  }
}
