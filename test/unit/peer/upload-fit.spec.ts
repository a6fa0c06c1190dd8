// Uploads that fit the uplink, on a simulated clock with links of fixed rates (sim-link.ts): the
// send window follows the measured rate, a cancel stops at once, a request that cannot arrive in
// time is refused at once, own playback pauses uploads, and a receiver with one fast and one slow
// holder asks the slow one less and less without missing a deadline.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Acquisition, type AcquisitionHost } from '../../../lib/peer/acquisition';
import { HolderScores } from '../../../lib/peer/holder-choice';
import type { PeerLink } from '../../../lib/peer/peer-link';
import type { FetchLike, PeerPlatform } from '../../../lib/peer/platform';
import { SegmentStore, type SegmentMeta } from '../../../lib/peer/segment-store';
import { Uploads, type UploadHooks } from '../../../lib/peer/uploads';
import type { WireFrame } from '../../../lib/protocol/peer-wire';
import { SimClock, SimLink } from './sim-link';

const HOME_UPLINK = 125_000; // 1 Mb/s
const FAST_UPLINK = 2_500_000; // 20 Mb/s

function segmentMeta(sequence: number, bytes: Uint8Array, duration = 2): SegmentMeta {
  return {
    sequence,
    url: `https://r2.example/live/main/${sequence}.ts`,
    size: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    duration,
  };
}

/** One uploading peer: its store, its Uploads, and a link to one receiver at `rate` bytes/s. */
function holder(clock: SimClock, id: string, rate: number, receive: (link: SimLink, frame: WireFrame) => void, hooks: UploadHooks = {}) {
  const store = new SegmentStore({ windowSegments: 64, maxBytes: 100_000_000 });
  const platform = clock.platform();
  const out = new SimLink(clock, 'RECEIVER0000', rate, (frame) => receive(toHolder, frame));
  const uploads = new Uploads(platform, store, { enabled: true, bytesPerSecond: 0 }, () => undefined, hooks);
  out.onDrain = () => uploads.pump(out.asPeerLink());
  // The receiver's side: its requests reach the holder over the receiver's (fast) uplink.
  const toHolder = new SimLink(clock, id, 10_000_000, (frame) => {
    if (frame.type === 'request') uploads.request(out.asPeerLink(), frame.id, frame.sequence, frame.start, frame.end, frame.budgetMs);
    if (frame.type === 'cancel') uploads.cancel(out.asPeerLink(), frame.id);
  });
  const hold = (meta: SegmentMeta, bytes: Uint8Array) => {
    store.announce(meta);
    store.put(meta.sequence, bytes, 10);
  };
  return { id, store, uploads, out, toHolder, hold };
}

function dataBytes(frames: WireFrame[], id?: number): number {
  return frames.reduce((n, f) => n + (f.type === 'data' && (id === undefined || f.id === id) ? f.payload.byteLength : 0), 0);
}

describe('uploads that fit the uplink (simulated clock)', () => {
  it('sizes the send buffer to the measured rate: a 1 Mb/s link queues well under a second, not 1 MiB', async () => {
    const clock = new SimClock();
    const got: WireFrame[] = [];
    const h = holder(clock, 'SLOWHOLDER00', HOME_UPLINK, (_l, f) => got.push(f));
    const bytes = new Uint8Array(randomBytes(2_000_000));
    h.hold(segmentMeta(1, bytes), bytes);
    h.uploads.request(h.out.asPeerLink(), 1, 1, 0, bytes.byteLength);
    let mostQueued = 0;
    for (let i = 0; i < 60; i++) {
      await clock.advance(100);
      if (clock.now >= 2000) mostQueued = Math.max(mostQueued, h.out.bufferedAmount());
    }
    const capacity = h.uploads.meter.link(h.out.asPeerLink())!.capacity()!;
    assert.ok(Math.abs(capacity - HOME_UPLINK) < HOME_UPLINK * 0.1, `measured ${capacity} B/s`);
    assert.ok(h.out.sendWindow() <= 64 * 1024, `window ${h.out.sendWindow()} bytes`);
    // At most the window plus one frame: about 0.8 s of this link, where 1 MiB was 8 s.
    assert.ok(mostQueued <= 64 * 1024 + 33 * 1024, `${mostQueued} bytes queued`);
    assert.ok(dataBytes(got) > 0.9 * HOME_UPLINK * 6, 'the link was kept busy all the same');
  });

  it('a cancel stops the transfer at once: what still arrives is what was already in the small buffer', async () => {
    const clock = new SimClock();
    const got: WireFrame[] = [];
    const h = holder(clock, 'SLOWHOLDER00', HOME_UPLINK, (_l, f) => got.push(f));
    const bytes = new Uint8Array(randomBytes(2_000_000));
    h.hold(segmentMeta(1, bytes), bytes);
    h.uploads.request(h.out.asPeerLink(), 9, 1, 0, bytes.byteLength);
    await clock.advance(3000);
    const before = dataBytes(got, 9);
    h.uploads.cancel(h.out.asPeerLink(), 9);
    await clock.advance(10_000);
    const after = dataBytes(got, 9) - before;
    assert.ok(after <= 0.8 * HOME_UPLINK, `${after} bytes arrived after the cancel (${((after / HOME_UPLINK) * 1000).toFixed(0)} ms of the link)`);
    assert.equal(h.out.bufferedAmount(), 0);
  });

  it('refuses at once a request that cannot arrive before its deadline behind what is queued, and takes one that can', async () => {
    const clock = new SimClock();
    const got: WireFrame[] = [];
    const h = holder(clock, 'SLOWHOLDER00', HOME_UPLINK, (_l, f) => got.push(f));
    const big = new Uint8Array(randomBytes(1_000_000));
    const small = new Uint8Array(randomBytes(200_000));
    h.hold(segmentMeta(1, big), big);
    h.hold(segmentMeta(2, small), small);
    // Idle: it takes the first request whatever its budget (that is how the link gets measured).
    h.uploads.request(h.out.asPeerLink(), 1, 1, 0, big.byteLength, 1000);
    await clock.advance(2000);
    // ~750 kB still to send at 125 kB/s: 200 kB more cannot arrive within 2 s.
    h.uploads.request(h.out.asPeerLink(), 2, 2, 0, small.byteLength, 2000);
    assert.equal(h.uploads.refusedForDeadline, 1);
    // The ABSENT waits only behind the little that is in the buffer.
    await clock.advance(800);
    assert.ok(
      h.out.deliveredFrames.some((f) => f.type === 'absent' && f.id === 2),
      'ABSENT for the request it could not serve in time',
    );
    // With a minute to spare it takes the same request.
    h.uploads.request(h.out.asPeerLink(), 3, 2, 0, small.byteLength, 60_000);
    await clock.advance(15_000);
    assert.equal(dataBytes(got, 3), small.byteLength);
  });

  it('pauses uploads and refuses new requests while its own playback needs the uplink', async () => {
    const clock = new SimClock();
    const got: WireFrame[] = [];
    let ownFirst = false;
    const h = holder(clock, 'SLOWHOLDER00', HOME_UPLINK, (_l, f) => got.push(f), { ownPlaybackFirst: () => ownFirst });
    const bytes = new Uint8Array(randomBytes(1_000_000));
    h.hold(segmentMeta(1, bytes), bytes);
    h.uploads.request(h.out.asPeerLink(), 1, 1, 0, bytes.byteLength);
    await clock.advance(1000);
    ownFirst = true;
    // What was already in the (small) buffer still goes out.
    await clock.advance(1000);
    assert.equal(h.out.bufferedAmount(), 0);
    const paused = dataBytes(got, 1);
    await clock.advance(2000);
    assert.equal(dataBytes(got, 1), paused, 'nothing more was sent while own playback came first');
    h.uploads.request(h.out.asPeerLink(), 2, 1, 0, 1000);
    await clock.advance(100);
    assert.ok(h.out.deliveredFrames.some((f) => f.type === 'absent' && f.id === 2));
    ownFirst = false;
    await clock.advance(10_000);
    assert.equal(dataBytes(got, 1), bytes.byteLength, 'it resumed once its playback was served');
  });

  it('capacity-aware choice: with one fast and one slow holder, the slow one gets a shrinking share and no deadline is missed', async () => {
    const clock = new SimClock();
    const fromHolder = new Map<string, number[]>([
      ['FASTHOLDER00', []],
      ['SLOWHOLDER00', []],
    ]);
    const r = receiver(clock);
    // The slow holder is listed first, so that it wins the first tie between two unmeasured holders.
    r.holders.push(holder(clock, 'SLOWHOLDER00', HOME_UPLINK, r.receive), holder(clock, 'FASTHOLDER00', FAST_UPLINK, r.receive));
    // A 0.9 Mb/s stream of 2 s segments (225 kB); the player asks for each one as it is announced,
    // with 3 s of buffer left. The slow holder needs 1.8 s per segment, the fast one 0.09 s.
    const segments = 30;
    for (let sequence = 0; sequence < segments; sequence++) {
      void r.fetch(sequence, 225_000, 3000).then((done) => {
        for (const [id, list] of fromHolder) list[sequence] = done.fromPeers.get(id) ?? 0;
      });
      await clock.advance(2000);
    }
    await clock.advance(5000);
    assert.equal(r.misses(), 0, 'no peer transfer missed its deadline');
    const share = (from: number, to: number) => {
      const sum = (id: string) =>
        fromHolder
          .get(id)!
          .slice(from, to)
          .reduce((a, b) => a + (b ?? 0), 0);
      return sum('SLOWHOLDER00') / (sum('SLOWHOLDER00') + sum('FASTHOLDER00'));
    };
    const early = share(0, 10);
    const late = share(20, 30);
    assert.ok(early > 0, 'the slow holder was asked at first');
    assert.ok(late < early, `the slow holder's share fell (${early.toFixed(2)} → ${late.toFixed(2)})`);
    assert.ok(late <= 0.1, `the slow holder sent ${(late * 100).toFixed(0)} % of the last ten segments`);
    assert.ok(share(0, 30) < 0.2, `the slow holder sent ${(share(0, 30) * 100).toFixed(0)} % overall`);
    assert.equal(fromHolder.get('FASTHOLDER00')!.length, segments, 'every segment arrived');
    assert.equal(r.httpBytes(), 0, 'nothing was left to HTTP');
    // The fast holder's pieces drain its buffer between two samples: its capacity is still measured
    // (a sample that finds the buffer empty closes the busy interval), not taken as idle time.
    const fast = r.holders[1].uploads.meter.total.capacity()!;
    assert.ok(fast > 0.8 * FAST_UPLINK, `the fast holder measured its uplink at ${Math.round(fast)} B/s`);
  });

  it('takes one segment from several holders at once, by byte ranges, when no one of them could send it in time', async () => {
    const clock = new SimClock();
    const r = receiver(clock);
    // Three 1 Mb/s homes: alone, each needs 3.6 s for a 2.7 Mb/s stream's 450 kB segment; the player has 2.5 s.
    for (const id of ['HOLDERA00000', 'HOLDERB00000', 'HOLDERC00000']) r.holders.push(holder(clock, id, HOME_UPLINK, r.receive));
    const got = r.fetch(0, 450_000, 2500);
    await clock.advance(3000);
    const done = await got;
    assert.equal(done.httpBytes, 0, 'no byte came over HTTP');
    assert.equal(r.misses(), 0);
    assert.equal(done.fromPeers.size, 3, `from ${[...done.fromPeers.keys()].join(', ')}`);
    for (const [id, bytes] of done.fromPeers) assert.ok(bytes >= 64 * 1024, `${id} sent ${bytes} bytes`);
    assert.deepEqual(Buffer.from(done.bytes), Buffer.from(r.origin.get(r.url(0))!), 'the bytes are the origin’s, byte for byte');
  });

  it('a holder that falls behind loses its ranges to a faster one before the deadline, and the tail it still sends is small', async () => {
    const clock = new SimClock();
    const r = receiver(clock);
    const first = holder(clock, 'FALLSBEHIND0', FAST_UPLINK, r.receive);
    const second = holder(clock, 'STAYSFAST000', FAST_UPLINK, r.receive);
    r.holders.push(first, second);
    // Both are measured fast on a first segment.
    const warm = r.fetch(0, 450_000, 3000);
    await clock.advance(2000);
    const warmed = await warm;
    // Then the first one's uplink collapses to 100 kb/s (someone at home started an upload).
    first.out.bytesPerSecond = 12_500;
    const got = r.fetch(1, 450_000, 2000);
    await clock.advance(3000);
    const done = await got;
    assert.equal(done.httpBytes, 0, 'the faster holder took the late ranges before the deadline: nothing over HTTP');
    assert.equal(r.misses(), 0);
    assert.ok((done.fromPeers.get('STAYSFAST000') ?? 0) > 0.8 * 450_000, `the fast holder sent ${done.fromPeers.get('STAYSFAST000')} bytes`);
    // What the slow one sent and was not used: at most what sat in its send buffer when it was cut.
    const used = (warmed.fromPeers.get('FALLSBEHIND0') ?? 0) + (done.fromPeers.get('FALLSBEHIND0') ?? 0);
    const wasted = dataBytes(first.out.deliveredFrames) - used;
    assert.ok(wasted <= 64 * 1024, `${wasted} bytes from the slow holder arrived after its ranges moved`);
  });
});

/**
 * A receiver's side of the engine on the simulated clock: its acquisitions, its holder records, and
 * the engine's two rules for them (holders offered to each acquisition; queued bytes per holder).
 */
function receiver(clock: SimClock) {
  const origin = new Map<string, Uint8Array>();
  const fetch: FetchLike = async (url, init) => {
    const body = origin.get(url)!;
    const m = /^bytes=(\d+)-(\d+)?/.exec(init.headers?.Range ?? '');
    const bytes = m ? body.subarray(Number(m[1]), m[2] === undefined ? undefined : Number(m[2]) + 1) : body;
    return { ok: true, status: m ? 206 : 200, arrayBuffer: async () => bytes.slice().buffer, text: async () => '' };
  };
  const acquisitions = new Map<number, Acquisition>();
  const scores = new HolderScores(() => clock.now);
  const holders: Array<ReturnType<typeof holder>> = [];
  let misses = 0;
  let requestId = 0;
  let httpBytes = 0;
  const receive = (toHolder: SimLink, frame: WireFrame) => {
    for (const a of [...acquisitions.values()]) {
      if (frame.type === 'data') a.onData(toHolder.asPeerLink(), frame.id, frame.offset, frame.payload);
      if (frame.type === 'absent') a.onAbsent(toHolder.asPeerLink(), frame.id);
    }
  };
  const tryPeers = (a: Acquisition) => a.plan(holders.filter((h) => h.store.has(a.meta.sequence)).map((h) => h.toHolder.asPeerLink()));
  const host: AcquisitionHost = {
    platform: clock.platform(fetch) as PeerPlatform,
    nextRequestId: () => ++requestId,
    countBytes: (source, bytes) => {
      if (source === 'http') httpBytes += bytes;
    },
    peerMisbehaved: () => assert.fail('no holder lies here'),
    holdersWanted: (a) => tryPeers(a),
    deadlineMissed: () => misses++,
    transferEnded: (link: PeerLink, bytes, ms, refused) => scores.transferEnded(link.remoteId, bytes, ms, refused),
    holderRate: (link) => scores.rate(link.remoteId),
    queuedFrom: (link) => [...acquisitions.values()].reduce((n, a) => n + a.bytesAskedOf(link), 0),
  };
  const url = (sequence: number) => `https://r2.example/live/main/${sequence}.ts`;
  /** A new segment every holder holds; the player asks for it with `budgetMs` to go. */
  const fetchSegment = async (sequence: number, size: number, budgetMs: number) => {
    const bytes = new Uint8Array(randomBytes(size));
    const meta = segmentMeta(sequence, bytes);
    origin.set(meta.url, bytes);
    for (const h of holders) h.hold(meta, bytes);
    const a = new Acquisition(meta, host);
    acquisitions.set(sequence, a);
    a.setDeadline(clock.now + budgetMs);
    tryPeers(a);
    // The caller moves the simulated time on.
    return a.done.finally(() => acquisitions.delete(sequence));
  };
  return { holders, receive, origin, url, fetch: fetchSegment, misses: () => misses, httpBytes: () => httpBytes };
}
