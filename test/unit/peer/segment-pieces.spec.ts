// A segment as pieces that several sources fill at once: the piece sizes, the contiguous prefix a
// streaming player can use, the one Range request that covers every gap, and who wrote what.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAX_PIECES, PIECE_TARGET_BYTES, pieceBytes, SegmentPieces } from '../../../lib/peer/segment-pieces';

describe('segment pieces', () => {
  it('cuts a segment into equal pieces, one per 64 KiB begun and at most eight', () => {
    assert.equal(new SegmentPieces(1000).pieces.length, 1, 'a small segment is one piece');
    assert.equal(new SegmentPieces(0).pieces.length, 1, 'an empty one too');
    const demo = new SegmentPieces<string>(225_000);
    assert.deepEqual(
      demo.pieces.map((p) => p.end - p.start),
      [56_250, 56_250, 56_250, 56_250],
    );
    assert.equal(new SegmentPieces(5_000_000).pieces.length, MAX_PIECES);
    for (const size of [1, 65_536, 65_537, 225_000, 675_000, 5_000_000]) {
      const { pieces } = new SegmentPieces(size);
      assert.equal(pieces[0].start, 0);
      assert.equal(pieces[pieces.length - 1].end, size);
      for (let i = 1; i < pieces.length; i++) assert.equal(pieces[i].start, pieces[i - 1].end, `contiguous at ${size}`);
      if (pieces.length > 1) assert.ok(pieceBytes(size) >= PIECE_TARGET_BYTES / 2, `${size}: ${pieceBytes(size)}`);
    }
  });

  it('keeps each source to the next bytes of its piece, and says how far the prefix reaches', () => {
    const bytes = new Uint8Array(randomBytes(225_000));
    const s = new SegmentPieces<string>(bytes.byteLength);
    const [p0, p1] = s.pieces;
    assert.equal(s.fits(p1, p1.start, 1000), true);
    assert.equal(s.fits(p1, p1.start + 1, 1000), false, 'not a byte past the fill');
    assert.equal(s.fits(p1, p1.start, p1.end - p1.start + 1), false, 'not past the piece');
    s.write(p1, bytes.subarray(p1.start, p1.end), 'B');
    assert.equal(s.prefix(), 0, 'a later piece is no use to a streaming player yet');
    s.write(p0, bytes.subarray(0, 1000), 'A');
    assert.equal(s.prefix(), 1000);
    s.write(p0, bytes.subarray(1000, p0.end), 'A');
    assert.equal(s.prefix(), p1.end, 'the two pieces join up');
    assert.deepEqual(s.gaps(), { start: p1.end, end: 225_000 });
  });

  it('takes HTTP bytes only where no peer wrote, over one range that covers every gap', () => {
    const bytes = new Uint8Array(randomBytes(400_000));
    const s = new SegmentPieces<string>(bytes.byteLength);
    const [p0, p1, p2] = s.pieces;
    s.write(p0, bytes.subarray(0, 10_000), 'A');
    s.write(p2, bytes.subarray(p2.start, p2.end), 'C');
    const gaps = s.gaps()!;
    assert.deepEqual(gaps, { start: 10_000, end: 400_000 });
    // The origin's bytes arrive in uneven chunks; a peer's piece in the middle is left as it was.
    const wrong = new Uint8Array(bytes);
    wrong.fill(0, p2.start, p2.end);
    let taken = 0;
    for (let at = gaps.start; at < gaps.end; at += 7_777) taken += s.fill(at, wrong.subarray(at, Math.min(gaps.end, at + 7_777)));
    assert.equal(taken, 400_000 - 10_000 - (p2.end - p2.start));
    assert.equal(s.complete, true);
    assert.deepEqual(Buffer.from(s.buffer), Buffer.from(bytes), "the peer's piece kept its bytes");
    const bySource = new Map<string, number>();
    for (const r of s.written()) bySource.set(r.source ?? 'http', (bySource.get(r.source ?? 'http') ?? 0) + r.end - r.start);
    assert.deepEqual(Object.fromEntries(bySource), { A: 10_000, C: p2.end - p2.start, http: taken });
    assert.equal(p1.filled, p1.end - p1.start);
    s.reset();
    assert.equal(s.prefix(), 0);
    assert.equal(s.written().length, 0);
  });
});
