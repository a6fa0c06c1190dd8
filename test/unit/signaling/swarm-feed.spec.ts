// Protocol v2's swarm feed: playlists over the socket, named fetchers, audience stats, uploader claims
// and bad-peer reports, driven through the coordinator with fake transports and clock.
import assert from 'node:assert/strict';
import { fetcherCount } from '../../../lib/signaling/fetchers';
import { DEFAULT_LIMITS } from '../../../lib/signaling/limits';
import { playlistFrame, playlistFromMsg } from '../../../lib/signaling/playlists';
import { BOUNDS } from '../../../lib/protocol';
import { parseClientMessage } from '../../../lib/signaling/validate';
import { harness, HeldCopies, type HeldCopy } from './harness';

const media = (n: number): string => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${n}\n#EXTINF:2,\nseg${n}.ts\n`;
const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\n720p.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=400000\n360p.m3u8\n';

describe('signaling coordinator: playlists over the swarm socket', () => {
  it('welcomes with the latest master and media playlist, byte for byte, and pushes each new version once', () => {
    const h = harness();
    h.announce(1);
    h.announce(1, 'live', '360p');
    h.c.pushPlaylist({ stream: 'live', rendition: null, text: master, ended: false });
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: media(1), ended: false });
    const a = h.connect();
    h.send(a, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    const welcome = a.t.take()[0];
    assert.deepEqual(welcome.playlists, [
      { rendition: null, text: master, ended: false, ageMs: 0, version: 1 },
      { rendition: '720p', text: media(1), ended: false, ageMs: 0, version: 2 },
    ]);
    const low = h.join('live', '360p');
    const held = new HeldCopies(welcome.playlists as HeldCopy[]);
    assert.equal(h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: media(2), ended: false }), 1);
    assert.equal(h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: media(2), ended: false }), 0, 'an unchanged version is not pushed again');
    const pushed = a.t.take();
    assert.equal(pushed.length, 1);
    held.take(pushed[0]);
    assert.equal(held.text('720p'), media(2));
    assert.deepEqual(low.t.take(), [], 'a media playlist reaches only its own swarm');
    // A new master reaches every swarm of the stream.
    const master2 = master.replace('900000', '950000');
    assert.equal(h.c.pushPlaylist({ stream: 'live', rendition: null, text: master2, ended: false }), 2);
    const lowMaster = low.t.take()[0];
    assert.deepEqual(a.t.take()[0], lowMaster, 'one frame for every peer');
    held.take(lowMaster);
    assert.equal(held.text(null), master2);
  });

  it('tells a joiner how old each welcome copy is (pushes carry none: they are sent as the version arrives)', () => {
    const h = harness();
    h.announce(1);
    h.c.pushPlaylist({ stream: 'live', rendition: null, text: master, ended: false });
    h.advance(5_000);
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: media(1), ended: false });
    h.advance(1_700);
    const a = h.connect();
    h.send(a, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(
      (a.t.take()[0].playlists as Array<{ ageMs?: number }>).map((p) => p.ageMs),
      [6_700, 1_700],
    );
    // What the viewer page inlines is the same copy, with the same age.
    assert.deepEqual(
      h.c.playlistsFor('live', '720p').map((p) => p.ageMs),
      [6_700, 1_700],
    );
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: media(2), ended: false });
    assert.equal(a.t.take()[0].ageMs, undefined);
    // A resync's whole copies are dated like a welcome's.
    h.send(a, { type: 'resync' });
    assert.deepEqual(
      a.t.take().map((f) => [f.type, f.ageMs]),
      [
        ['playlist', 6_700],
        ['playlist', 0],
      ],
    );
    // An ended playlist kept for hours is still within the protocol's bound.
    h.advance(10 * BOUNDS.maxPlaylistAgeMs);
    assert.deepEqual(
      h.c.playlistsFor('live', '720p').map((p) => p.ageMs),
      [BOUNDS.maxPlaylistAgeMs, BOUNDS.maxPlaylistAgeMs],
    );
  });

  it('does not push a playlist too large for the socket, and forgets the older copy so nobody serves it stale', () => {
    const h = harness();
    h.announce(1);
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: media(1), ended: false });
    const huge = media(2) + '#'.repeat(BOUNDS.maxPushedPlaylistBytes);
    assert.equal(h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: huge, ended: false }), 0);
    const a = h.connect();
    h.send(a, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(a.t.take()[0].playlists, []);
  });

  it('reads manifest playlist msgs and refuses malformed ones with E_SIGNAL_INPUT', () => {
    assert.deepEqual(playlistFromMsg({ topic: 'playlist', payload: master, playlist: { stream: 'live', rendition: null, ended: false } }), {
      stream: 'live',
      rendition: null,
      text: master,
      ended: false,
    });
    assert.equal(playlistFromMsg({ topic: 'segment', payload: 'x' }), null);
    // A later presentation (the encoder came back after an ENDLIST) is carried to the frame, so a
    // viewer never answers the ended playlist's URL with the new one.
    const later = playlistFromMsg({ topic: 'playlist', payload: master, playlist: { stream: 'live', rendition: 'main', ended: false, presentation: 2 } })!;
    assert.deepEqual(later, { stream: 'live', rendition: 'main', text: master, ended: false, presentation: 2 });
    assert.deepEqual(JSON.parse(playlistFrame({ current: { ...later, storedAt: 0, version: 7 } })), {
      type: 'playlist',
      rendition: 'main',
      text: master,
      ended: false,
      presentation: 2,
      version: 7,
    });
    for (const bad of [
      { topic: 'playlist', payload: master, playlist: { stream: 'live', rendition: 'main', presentation: -1 } },
      { topic: 'playlist', payload: master, playlist: { stream: 'live', rendition: 'main', presentation: 1.5 } },
      { topic: 'playlist', payload: master, playlist: { stream: 'live', rendition: 'main', presentation: '1' } },
      { topic: 'playlist', payload: 'not a playlist', playlist: { stream: 'live', rendition: null } },
      { topic: 'playlist', payload: master },
      { topic: 'playlist', payload: master, playlist: { stream: 'li ve', rendition: null } },
      { topic: 'playlist', payload: master, playlist: { stream: 'live', rendition: 7 } },
    ]) {
      assert.throws(
        () => playlistFromMsg(bad),
        (err: Error & { code?: string }) => err.code === 'E_SIGNAL_INPUT',
        JSON.stringify(bad),
      );
    }
  });
});

describe('signaling coordinator: fetchers named in announcements', () => {
  it('rotates the first fetch through uploading viewers, prefers supporters, and never names a peer that uploads nothing', async () => {
    const h = harness({ verifySupporter: (token) => (token === 'good-token-0123456789' ? 'friend' : null) });
    h.announce(1);
    const viewers = [h.join(), h.join(), h.join()];
    const metered = h.connect();
    h.send(metered, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer', upload: false });
    const meteredId = metered.t.take()[0].peer as string;
    const named: string[] = [];
    for (let seq = 2; seq <= 7; seq++) {
      h.announce(seq);
      const frame = viewers[0].t.take().find((f) => f.type === 'segment')!;
      assert.equal((frame.fetchers as string[]).length, 1);
      named.push((frame.fetchers as string[])[0]);
    }
    assert.ok(!named.includes(meteredId));
    assert.deepEqual(new Set(named), new Set(viewers.map((v) => v.id)), 'every uploading viewer takes a turn');
    assert.deepEqual(named.slice(0, 3), named.slice(3, 6), 'in rotation');
    const supporter = h.connect();
    h.send(supporter, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: 'good-token-0123456789' });
    await new Promise((resolve) => setImmediate(resolve)); // token verification is asynchronous by contract
    const supporterId = supporter.t.take().find((f) => f.type === 'welcome')!.peer;
    viewers[1].t.take();
    h.announce(8);
    assert.deepEqual(viewers[1].t.take().find((f) => f.type === 'segment')!.fetchers, [supporterId]);
  });

  it('names fetchers by the spare upload they report: unmeasured ones in turn, then most spare first, then those short of the stream rate, none with no spare', () => {
    const h = harness();
    h.announce(1);
    const [slow, fast, full, fresh] = [h.join(), h.join(), h.join(), h.join()];
    const stats = { httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 3 };
    // The segments are 225 kB per 2 s: a first holder must pass on 112.5 kB/s at least.
    h.send(slow, { type: 'stats', ...stats, spareUpload: 1e12 });
    assert.equal(slow.t.take()[0].code, 'E_SIGNAL_BAD_FIELD', 'a claim beyond 1 Gb/s is refused by the schema');
    h.send(slow, { type: 'stats', ...stats, spareUpload: 20_000 });
    h.send(fast, { type: 'stats', ...stats, spareUpload: 2_000_000 });
    h.send(full, { type: 'stats', ...stats, spareUpload: 0 });
    const namedFor = (seq: number): string[] => {
      h.announce(seq, 'live', '720p', 225_000);
      return fresh.t.take().find((f) => f.type === 'segment')!.fetchers as string[];
    };
    // The one that has not measured its upload yet is tried first: being named is how it gets measured.
    assert.deepEqual(namedFor(2), [fresh.id]);
    h.send(fresh, { type: 'stats', ...stats, spareUpload: 0 });
    for (let seq = 3; seq <= 5; seq++) assert.deepEqual(namedFor(seq), [fast.id], 'then the member with most spare upload, every time');
    h.advance(5000);
    h.send(fast, { type: 'stats', ...stats, spareUpload: 0 });
    assert.deepEqual(namedFor(6), [slow.id], 'short of the stream rate, but the only one with any spare');
    h.advance(5000);
    h.send(slow, { type: 'stats', ...stats, spareUpload: 0 });
    // Nobody has spare upload: still one, in turn.
    assert.equal(namedFor(8).length, 1);
  });

  it('names more fetchers as a swarm grows, within bounds', () => {
    assert.deepEqual([1, 31, 32, 64, 1000, 50_000].map(fetcherCount), [1, 1, 2, 3, 4, 4]);
  });
});

describe('signaling coordinator: audience stats, uploader claims, reports', () => {
  it("adds up viewers' running totals per swarm, keeps a departed viewer's figures, and rate-limits reports", () => {
    const h = harness();
    h.announce(1);
    const a = h.join();
    const b = h.join();
    h.send(a, { type: 'stats', httpBytes: 100, p2pBytes: 300, uploadedBytes: 50, stalls: 0, peers: 1, latencyMs: 6000 });
    const iceB = { srflx: true, connected: 2, failed: 1, pairs: { host: 0, srflx: 1, prflx: 1, relay: 0 } };
    h.send(b, { type: 'stats', httpBytes: 0, p2pBytes: 400, uploadedBytes: 0, stalls: 1, peers: 1, latencyMs: 8000, ice: iceB });
    h.advance(5000);
    const iceA = { srflx: false, connected: 1, failed: 3, pairs: { host: 1, srflx: 0, prflx: 0, relay: 0 } };
    h.send(a, { type: 'stats', httpBytes: 200, p2pBytes: 600, uploadedBytes: 80, stalls: 0, peers: 1, latencyMs: 6000, ice: iceA });
    h.send(a, { type: 'stats', httpBytes: 999, p2pBytes: 999, uploadedBytes: 999, stalls: 9, peers: 1 });
    assert.equal(a.t.take()[0].code, 'E_SIGNAL_RATE_LIMITED', 'a second report inside the interval is refused');
    let [swarm] = h.c.stats().audience;
    assert.deepEqual(swarm, {
      stream: 'live',
      rendition: '720p',
      reporting: 2,
      httpBytes: 200,
      p2pBytes: 1000,
      uploadedBytes: 80,
      stalls: 1,
      // Each viewer's own share (600/800 and 400/400), weighted by what it played up to the median viewer's (600).
      p2pShare: (0.75 * 600 + 1 * 400) / 1000,
      p2pShareViewers: 2,
      latencyMs: 7000,
      // Nearest rank over the two viewers' latencies (6000 and 8000 ms): the higher one.
      latencyP90Ms: 8000,
      latencyViewers: 2,
      capped: 0,
      ice: { reporting: 2, srflx: 1, connected: 3, failed: 4, pairs: { host: 1, srflx: 1, prflx: 1, relay: 0 } },
    });
    h.send(b, { type: 'leave' });
    [swarm] = h.c.stats().audience;
    assert.deepEqual([swarm.reporting, swarm.p2pBytes, swarm.stalls, swarm.latencyMs], [1, 1000, 1, 6000]);
    assert.deepEqual(
      swarm.ice,
      { reporting: 2, srflx: 1, connected: 3, failed: 4, pairs: { host: 1, srflx: 1, prflx: 1, relay: 0 } },
      "a departed viewer's links still count",
    );
    h.send(a, { type: 'leave' });
    assert.deepEqual(h.c.stats().audience, [], 'an emptied swarm is forgotten');
  });

  it("credits the smaller of the downloader's and the uploader's claims, whichever arrives first; a smaller claim waits for the uploader's later total", () => {
    const h = harness();
    h.announce(1, 'live', '720p', 5000);
    const up = h.join();
    const down = h.join();
    h.negotiate(down, up);
    h.announce(2, 'live', '720p', 5000);
    h.announce(3, 'live', '720p', 5000);
    h.send(up, { type: 'served', sequence: 2, to: down.id, bytes: 3000 });
    h.send(down, { type: 'receipt', sequence: 2, from: up.id, bytes: 5000 });
    h.send(down, { type: 'receipt', sequence: 3, from: up.id, bytes: 4000 });
    assert.equal(h.receipts.length, 0, "segment 2's claim is short of the receipt (a running total), segment 3 has none yet");
    h.send(up, { type: 'served', sequence: 3, to: down.id, bytes: 4500 });
    // The uploader's later total for segment 2 (its last piece came after a quiet spell) is credited whole.
    h.send(up, { type: 'served', sequence: 2, to: down.id, bytes: 5000 });
    assert.deepEqual(
      h.receipts.map((r) => [r.sequence, r.bytes, r.downloaderClaimed, r.uploaderClaimed]),
      [
        [3, 4000, 4000, 4500],
        [2, 5000, 5000, 5000],
      ],
    );
  });

  it('audits a report of a peer that sent bad data, naming both', () => {
    const h = harness();
    h.announce(1);
    const honest = h.join();
    const liar = h.join();
    h.send(honest, { type: 'report', peer: liar.id, sequence: 1, reason: 'hash' });
    assert.deepEqual(
      h.audit.map((a) => [a.kind, a.code, a.peer, a.accused, a.sequence]),
      [['report', 'PEER_BAD_HASH', honest.id, liar.id, 1]],
    );
  });

  it('validates the v2 frames field by field', () => {
    const ok = [
      { type: 'served', sequence: 1, to: 'AAAAAAAAAAAA', bytes: 10 },
      { type: 'stats', httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 0 },
      { type: 'report', peer: 'AAAAAAAAAAAA', sequence: 0, reason: 'size' },
      { type: 'join', v: 4, stream: 'live', rendition: '0', role: 'viewer', upload: false },
    ];
    for (const msg of ok) assert.doesNotThrow(() => parseClientMessage(JSON.stringify(msg)), JSON.stringify(msg));
    const bad = [
      { type: 'served', sequence: 1, to: 'AAAAAAAAAAAA', bytes: 0 },
      { type: 'served', sequence: -1, to: 'AAAAAAAAAAAA', bytes: 1 },
      { type: 'stats', httpBytes: -1, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 0 },
      { type: 'stats', httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 5000 },
      { type: 'stats', httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 0, latencyMs: 1e12 },
      { type: 'stats', httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0 },
      { type: 'report', peer: 'AAAAAAAAAAAA', sequence: 0, reason: 'boredom' },
      { type: 'join', v: 4, stream: 'live', rendition: '0', role: 'viewer', upload: 'no' },
    ];
    for (const msg of bad) {
      assert.throws(
        () => parseClientMessage(JSON.stringify(msg)),
        (err: Error & { code?: string }) => err.code === 'E_SIGNAL_BAD_FIELD',
        JSON.stringify(msg),
      );
    }
  });
});

describe('signaling coordinator: a swarm too small to help makes no links', () => {
  it('introduces nobody in a swarm of two viewers (the default), links the third to both, and asks a supporter in at once', async () => {
    assert.equal(DEFAULT_LIMITS.minSwarmForLinks, 3);
    const h = harness({
      limits: { minSwarmForLinks: DEFAULT_LIMITS.minSwarmForLinks },
      verifySupporter: (token) => (token === 'good-token-0123456789' ? 'friend' : null),
    });
    h.announce(1);
    const first = h.connect();
    h.send(first, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(first.t.take()[0].peers, []);
    const second = h.connect();
    h.send(second, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(second.t.take()[0].peers, [], 'two viewers: no introduction, so no WebRTC link');
    h.send(second, { type: 'peers' });
    assert.deepEqual(second.t.take()[0], { type: 'peers', peers: [] }, 'asking again changes nothing');
    const third = h.connect();
    h.send(third, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.equal((third.t.take()[0].peers as unknown[]).length, 2, 'three: the newcomer is introduced to both');
    // In another swarm (another stream), a supporter and one viewer link: the supporter is there to serve.
    h.announce(1, 'other', '360p');
    const supporter = h.connect();
    h.send(supporter, { type: 'join', v: 4, stream: 'other', rendition: '360p', role: 'supporter', token: 'good-token-0123456789' });
    await new Promise((resolve) => setImmediate(resolve)); // token verification is asynchronous by contract
    supporter.t.take();
    const viewer = h.connect();
    h.send(viewer, { type: 'join', v: 4, stream: 'other', rendition: '360p', role: 'viewer' });
    assert.equal((viewer.t.take()[0].peers as unknown[]).length, 1);
  });
});
