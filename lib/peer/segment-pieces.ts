/**
 * A segment's bytes as pieces, so that several sources can fill it at once: each piece fills from
 * its start, contiguously, from whichever source holds it now (a peer, then another peer or HTTP
 * where the first stopped). Who wrote which bytes is kept as ranges, so that payment goes to the
 * peers that delivered and, when the finished segment fails its hash, the liar can be named.
 */

/** One piece per 64 KiB begun (a request per 64 KiB keeps the overhead of asking negligible)… */
export const PIECE_TARGET_BYTES = 64 * 1024;
/** …and no segment has more pieces than this (each one is a request to plan and to serve). */
export const MAX_PIECES = 8;

/**
 * The piece length for a segment of `size` bytes: the segment in equal pieces, one per 64 KiB begun
 * (so 32–64 KiB each up to 512 KiB, larger beyond it as the count stops at eight). Equal, because a
 * short last piece is a small job a slow holder looks quick at, and the segment would then wait on it.
 */
export function pieceBytes(size: number): number {
  const count = Math.min(MAX_PIECES, Math.max(1, Math.ceil(size / PIECE_TARGET_BYTES)));
  return Math.max(1, Math.ceil(size / count));
}

export interface Piece {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Bytes written from `start`: the piece is done at end − start. */
  filled: number;
}

export interface SourceRange<S> {
  /** undefined: HTTP. */
  source: S | undefined;
  start: number;
  end: number;
}

export class SegmentPieces<S> {
  readonly buffer: Uint8Array;
  readonly pieces: readonly Piece[];
  private readonly ranges: Array<SourceRange<S>> = [];

  constructor(readonly size: number) {
    this.buffer = new Uint8Array(size);
    const length = pieceBytes(size);
    const pieces: Piece[] = [];
    for (let start = 0; start < size || pieces.length === 0; start += length) {
      pieces.push({ index: pieces.length, start, end: Math.min(size, start + length), filled: 0 });
    }
    this.pieces = pieces;
  }

  /** Where the piece's next byte goes. */
  static next(piece: Piece): number {
    return piece.start + piece.filled;
  }

  static done(piece: Piece): boolean {
    return piece.start + piece.filled === piece.end;
  }

  /** Bytes of the piece not written yet. */
  static remaining(piece: Piece): number {
    return piece.end - SegmentPieces.next(piece);
  }

  get complete(): boolean {
    return this.pieces.every(SegmentPieces.done);
  }

  /** Bytes held from offset 0 without a gap (what a streaming consumer can already use). */
  prefix(): number {
    let bytes = 0;
    for (const piece of this.pieces) {
      bytes += piece.filled;
      if (!SegmentPieces.done(piece)) break;
    }
    return bytes;
  }

  /** The first byte not yet held and the end of the last gap: the one range that covers every gap. */
  gaps(): { start: number; end: number } | undefined {
    const open = this.pieces.filter((piece) => !SegmentPieces.done(piece));
    if (open.length === 0) return undefined;
    return { start: SegmentPieces.next(open[0]), end: open[open.length - 1].end };
  }

  /** `length` bytes at `offset` continue the piece exactly (the only writes a peer transfer may make). */
  fits(piece: Piece, offset: number, length: number): boolean {
    return offset === SegmentPieces.next(piece) && offset + length <= piece.end;
  }

  /** Writes bytes that fit() said continue `piece`. */
  write(piece: Piece, bytes: Uint8Array, source: S | undefined): void {
    const offset = SegmentPieces.next(piece);
    this.buffer.set(bytes, offset);
    piece.filled += bytes.byteLength;
    this.record(source, offset, offset + bytes.byteLength);
  }

  /**
   * Bytes of a range fetched over HTTP, at `offset`: only what no source has written yet is taken.
   * A range spans whole pieces in order, so within each piece the taken bytes continue its fill.
   */
  fill(offset: number, bytes: Uint8Array): number {
    let taken = 0;
    const end = offset + bytes.byteLength;
    for (const piece of this.pieces) {
      const from = Math.max(SegmentPieces.next(piece), offset);
      const to = Math.min(piece.end, end);
      if (from >= to || from !== SegmentPieces.next(piece)) continue;
      this.write(piece, bytes.subarray(from - offset, to - offset), undefined);
      taken += to - from;
    }
    return taken;
  }

  /** Every range with the source that wrote it, in the order written. */
  written(): ReadonlyArray<SourceRange<S>> {
    return this.ranges;
  }

  /** Forgets every byte (the segment is fetched again whole). */
  reset(): void {
    for (const piece of this.pieces) piece.filled = 0;
    this.ranges.length = 0;
  }

  private record(source: S | undefined, start: number, end: number): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last && last.source === source && last.end === start) last.end = end;
    else this.ranges.push({ source, start, end });
  }
}
