import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CHUNK_BYTES, decode, encode, MAX_FRAME_BYTES, WireError, type WireFrame } from '../../../lib/protocol/peer-wire';
import { SegmentStore } from '../../../lib/peer/segment-store';

describe('peer wire protocol', () => {
  it('round-trips every frame type', () => {
    const frames: WireFrame[] = [
      { type: 'hello', version: 1, uploads: true },
      { type: 'hello', version: 1, uploads: false },
      { type: 'have', rendition: '720p', sequences: [0, 1, 2 ** 40, Number.MAX_SAFE_INTEGER] },
      { type: 'have', rendition: 'a', sequences: [] },
      { type: 'request', id: 0xffffffff, sequence: 123456, start: 65536, end: 200000 },
      { type: 'request', id: 3, sequence: 7, start: 0, end: 200000, budgetMs: 1850 },
      { type: 'data', id: 7, offset: 32768, payload: new Uint8Array(randomBytes(CHUNK_BYTES)) },
      { type: 'absent', id: 9 },
      { type: 'cancel', id: 10 },
    ];
    for (const frame of frames) {
      const decoded = decode(encode(frame).buffer);
      if (frame.type === 'data' && decoded.type === 'data') {
        assert.deepEqual([decoded.id, decoded.offset, Buffer.from(decoded.payload)], [frame.id, frame.offset, Buffer.from(frame.payload)]);
      } else {
        assert.deepEqual(decoded, frame);
      }
    }
    assert.ok(encode({ type: 'data', id: 1, offset: 0, payload: new Uint8Array(CHUNK_BYTES) }).byteLength <= MAX_FRAME_BYTES);
  });

  it('rejects malformed frames with WireError, never anything else', () => {
    const bad: unknown[] = [
      'text',
      new Uint8Array(0),
      new Uint8Array([99]),
      new Uint8Array([0, 1]),
      new Uint8Array([0, 1, 2]),
      new Uint8Array([1, 0, 65]),
      new Uint8Array([1, 0, 1, 0, 0]),
      new Uint8Array([1, 0, 0]), // a HAVE of wire v1: no rendition
      new Uint8Array([1, 0, 0, 0]), // an empty rendition
      new Uint8Array([1, 0, 0, 2, 46, 46]), // '..' breaks the id rule
      new Uint8Array([1, 0, 0, 3, 97, 98]), // a rendition shorter than its length byte
      (() => {
        const f = encode({ type: 'have', rendition: 'r', sequences: [1] });
        new DataView(f.buffer).setFloat64(3, 1.5);
        return f;
      })(),
      (() => {
        const f = encode({ type: 'have', rendition: 'r', sequences: [1] });
        new DataView(f.buffer).setFloat64(3, -1);
        return f;
      })(),
      (() => {
        const f = encode({ type: 'request', id: 1, sequence: 1, start: 0, end: 10 });
        new DataView(f.buffer).setUint32(17, 0);
        return f;
      })(),
      (() => {
        const f = encode({ type: 'request', id: 1, sequence: 1, start: 0, end: 10, budgetMs: 1 });
        new DataView(f.buffer).setUint32(21, 60_001);
        return f;
      })(),
      encode({ type: 'request', id: 1, sequence: 1, start: 0, end: 10, budgetMs: 1 }).subarray(0, 23),
      new Uint8Array([3, 0, 0, 0, 1, 0, 0, 0, 0]),
      new Uint8Array(MAX_FRAME_BYTES + 1).fill(3),
      new Uint8Array([5, 0, 0]),
    ];
    for (const frame of bad) assert.throws(() => decode(frame), WireError, String(frame));
    // A request of the wrong length names both lengths a request may have.
    assert.throws(() => decode(encode({ type: 'request', id: 1, sequence: 1, start: 0, end: 10, budgetMs: 1 }).subarray(0, 23)), /21 or 25 bytes, got 23/);
    // Random garbage: decoded or refused, never a crash of another kind.
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(randomBytes(1 + (i % 40)));
      junk[0] = i % 7;
      try {
        decode(junk);
      } catch (err) {
        assert.ok(err instanceof WireError, String(err));
      }
    }
  });
});

describe('segment store', () => {
  const meta = (sequence: number, size = 10) => ({ sequence, url: `u${sequence}`, size, sha256: 'x', duration: 2 });

  it('keeps only the newest announcements of the window and never holds more than its byte cap', () => {
    const store = new SegmentStore({ windowSegments: 3, maxBytes: 25 });
    for (let i = 0; i < 5; i++) store.announce(meta(i));
    assert.deepEqual(
      store.known().map((m) => m.sequence),
      [2, 3, 4],
    );
    assert.equal(store.announce(meta(1)), false, 'older than the window');
    assert.equal(store.put(2, new Uint8Array(10), 1), true);
    assert.equal(store.put(3, new Uint8Array(10), 1), true);
    assert.equal(store.put(4, new Uint8Array(10), 1), true);
    assert.deepEqual(store.held(), [3, 4], 'the oldest bytes make room');
    assert.ok(store.bytesHeld() <= 25);
    assert.equal(store.put(4, new Uint8Array(10), 1), false, 'held once');
    assert.equal(store.put(3, new Uint8Array(9), 1), false);
    store.announce(meta(5));
    store.announce(meta(6));
    store.announce(meta(7));
    assert.deepEqual(store.held(), [], 'bytes leave with their announcements');
    assert.equal(store.bytesHeld(), 0);
    assert.equal(store.sequenceOf('u3'), undefined);
  });
});
