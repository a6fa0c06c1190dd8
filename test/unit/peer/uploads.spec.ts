// The upload side alone, on a fake clock: the byte budget per second, ABSENT answers, cancel and
// the served claim.
import assert from 'node:assert/strict';
import type { PeerLink } from '../../../lib/peer/peer-link';
import type { PeerPlatform } from '../../../lib/peer/platform';
import { SegmentStore } from '../../../lib/peer/segment-store';
import { Uploads } from '../../../lib/peer/uploads';
import { CHUNK_BYTES, type WireFrame } from '../../../lib/protocol/peer-wire';

function setup(policy: { enabled: boolean; bytesPerSecond: number }) {
  let clock = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const platform = {
    now: () => clock,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { at: clock + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimeout: (t: unknown) => {
      const i = timers.indexOf(t as never);
      if (i >= 0) timers.splice(i, 1);
    },
  } as unknown as PeerPlatform;
  const store = new SegmentStore({ windowSegments: 8, maxBytes: 10_000_000 });
  store.announce({ sequence: 1, url: 'u1', size: 200_000, sha256: 'x', duration: 2 });
  store.put(
    1,
    new Uint8Array(200_000).map((_, i) => i % 251),
    10,
  );
  const sent: WireFrame[] = [];
  const link = {
    remoteId: 'AAAAAAAAAAAA',
    canSend: () => true,
    delivered: () => 0,
    bufferedAmount: () => 0,
    setSendWindow: () => undefined,
    send: (f: WireFrame) => {
      sent.push(f);
      return true;
    },
  } as unknown as PeerLink;
  const served: Array<[number, number]> = [];
  const uploads = new Uploads(platform, store, policy, (_l, sequence, bytes) => served.push([sequence, bytes]));
  const advance = (ms: number) => {
    clock += ms;
    const due = timers.filter((x) => x.at <= clock);
    for (const t of due) timers.splice(timers.indexOf(t), 1);
    for (const t of due) t.fn();
  };
  const dataBytes = () => sent.reduce((n, f) => n + (f.type === 'data' ? f.payload.byteLength : 0), 0);
  return { uploads, link, sent, served, advance, dataBytes, store };
}

describe('peer uploads', () => {
  it('never sends faster than the upload cap, and files the served claim when done', () => {
    const rate = 64 * 1024;
    const t = setup({ enabled: true, bytesPerSecond: rate });
    t.uploads.request(t.link, 7, 1, 0, 200_000);
    let elapsed = 0;
    while (t.served.length === 0 && elapsed < 10_000) {
      assert.ok(t.dataBytes() <= rate + (rate * elapsed) / 1000, `${t.dataBytes()} bytes after ${elapsed} ms`);
      t.advance(250);
      elapsed += 250;
    }
    assert.deepEqual(t.served, [[1, 200_000]]);
    assert.ok(elapsed >= ((200_000 - rate) / rate) * 1000, 'it took as long as the cap requires');
    // The bytes went out in order and whole.
    const data = t.sent.filter((f): f is Extract<WireFrame, { type: 'data' }> => f.type === 'data');
    assert.deepEqual(
      data.map((f) => f.offset),
      data.map((_, i) => i * CHUNK_BYTES),
    );
    assert.deepEqual(Buffer.concat(data.map((f) => Buffer.from(f.payload))), Buffer.from(t.store.bytes(1)!));
  });

  it('answers ABSENT when it does not upload, does not hold the segment, or the range is past its end', () => {
    const off = setup({ enabled: false, bytesPerSecond: 0 });
    off.uploads.request(off.link, 1, 1, 0, 10);
    const on = setup({ enabled: true, bytesPerSecond: 0 });
    on.uploads.request(on.link, 2, 9, 0, 10);
    on.uploads.request(on.link, 3, 1, 0, 200_001);
    assert.deepEqual(off.sent, [{ type: 'absent', id: 1 }]);
    assert.deepEqual(on.sent, [
      { type: 'absent', id: 2 },
      { type: 'absent', id: 3 },
    ]);
  });

  it('on cancel stops, and claims only the bytes it actually sent', () => {
    const t = setup({ enabled: true, bytesPerSecond: 64 * 1024 });
    t.uploads.request(t.link, 5, 1, 0, 200_000);
    const before = t.dataBytes();
    t.uploads.cancel(t.link, 5);
    t.advance(5000);
    assert.equal(t.dataBytes(), before);
    assert.deepEqual(t.served, [[1, before]]);
  });
});
