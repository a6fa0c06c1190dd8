// One swarm per stream (protocol v3): the renditions of a stream share a swarm, a level switch is a
// `rendition` message, and what is per rendition (announcements, fetchers, playlists, receipts)
// follows the peer to the rendition it plays.
import assert from 'node:assert/strict';
import { harness } from './harness';

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function ladder(h: ReturnType<typeof harness>, sequence: number, size = 1000) {
  for (const rendition of ['360p', '720p']) h.announce(sequence, 'live', rendition, size);
}

describe('signaling coordinator: one swarm per stream, level switches', () => {
  it('links viewers of different renditions, and a switch keeps the peer, its id and its place in the swarm', () => {
    const h = harness();
    ladder(h, 1);
    const high = h.join('live', '720p');
    const low = h.join('live', '360p');
    assert.equal(h.c.stats().swarms, 1, "one swarm for the stream's two renditions");
    h.send(low, { type: 'peers' });
    assert.deepEqual(
      (low.t.take()[0].peers as Array<{ peer: string }>).map((p) => p.peer),
      [high.id],
    );
    h.send(high, { type: 'rendition', rendition: '360p' });
    const answer = high.t.take();
    assert.equal(answer.length, 1);
    assert.equal(answer[0].type, 'rendition');
    assert.equal(answer[0].rendition, '360p');
    assert.deepEqual(
      (answer[0].segments as Array<{ sequence: number; url: string }>).map((s) => s.url),
      ['https://cdn.example/live/360p/1.ts'],
      "the answer carries the new rendition's announcements",
    );
    assert.equal(high.s.peer?.id, high.id, 'the same peer');
    assert.equal(high.s.peer?.rendition, '360p');
    assert.equal(high.s.rendition, '360p');
    assert.equal(h.c.stats().peers, 2);
    assert.deepEqual(
      h.swarm.map((e) => e.event),
      ['join', 'join'],
      'no leave and no second join',
    );
    // The neighbours can still talk: the link survives the switch.
    h.send(high, { type: 'offer', to: low.id, offerId: 'o1', sdp: 'v=0' });
    assert.equal(low.t.last().type, 'offer');
  });

  it('announces each segment and media playlist to the peers of its rendition only, naming fetchers among them', () => {
    const h = harness();
    ladder(h, 1);
    const a = h.join('live', '720p');
    const b = h.join('live', '360p');
    h.send(a, { type: 'rendition', rendition: '360p' });
    a.t.take();
    h.announce(2, 'live', '720p');
    assert.deepEqual(a.t.take(), [], 'a plays 360p now: no 720p announcement');
    assert.deepEqual(b.t.take(), []);
    h.announce(2, 'live', '360p');
    const toA = a.t.take();
    const toB = b.t.take();
    assert.equal(toA.length, 1);
    assert.equal(toB.length, 1);
    assert.equal(toA[0].url, 'https://cdn.example/live/360p/2.ts');
    assert.ok([a.id, b.id].includes((toA[0].fetchers as string[])[0]));
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: '#EXTM3U\n', ended: false });
    assert.deepEqual([a.t.take().length, b.t.take().length], [0, 0], 'nobody plays 720p');
    h.c.pushPlaylist({ stream: 'live', rendition: null, text: '#EXTM3U\n#master\n', ended: false });
    assert.deepEqual([a.t.take().length, b.t.take().length], [1, 1], 'the master goes to the whole swarm');
  });

  it('refuses a switch to a rendition nobody announced (the peer stays where it was), and any switch of a supporter', async () => {
    const h = harness({ verifySupporter: (token) => (token === 'good-token-0123456789' ? 'sup-1' : undefined) });
    ladder(h, 1);
    const a = h.join('live', '720p');
    h.send(a, { type: 'rendition', rendition: '1080p' });
    assert.equal(a.t.last().code, 'E_SIGNAL_UNKNOWN_SWARM');
    assert.equal(a.s.peer?.rendition, '720p');
    assert.equal(a.s.closed, false);
    h.send(a, { type: 'rendition', rendition: '../x' });
    assert.equal(a.t.last().code, 'E_SIGNAL_BAD_FIELD');
    const unjoined = h.connect();
    h.send(unjoined, { type: 'rendition', rendition: '360p' });
    assert.equal(unjoined.t.last().code, 'E_SIGNAL_NOT_JOINED');
    const supporter = h.connect();
    h.send(supporter, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: 'good-token-0123456789' });
    await until(() => supporter.s.peer !== undefined);
    h.send(supporter, { type: 'rendition', rendition: '360p' });
    assert.equal(supporter.t.last().code, 'E_SIGNAL_UNAUTHORIZED', "a supporter's token was checked for one rendition");
    assert.equal(supporter.s.peer?.rendition, '720p');
  });

  it('binds receipts to the rendition: a claim served from another rendition never credits, and a switch renews the join mark', () => {
    const h = harness();
    ladder(h, 1, 5000);
    const up = h.join('live', '720p');
    const down = h.join('live', '720p');
    h.negotiate(down, up);
    ladder(h, 2, 5000);
    up.t.take();
    down.t.take();
    // The uploader now plays 360p: its claim for "segment 3" is a claim for 360p's segment 3.
    h.send(up, { type: 'rendition', rendition: '360p' });
    up.t.take();
    ladder(h, 3, 5000);
    up.t.take();
    down.t.take();
    h.deliver(up, down, 3, 5000);
    assert.equal(h.receipts.length, 0, 'a 360p claim does not corroborate a 720p receipt');
    h.advance(10_500); // past receiptHoldMs (10 s), within the heartbeat timeout
    h.c.sweep();
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'receipt').map((a) => a.code),
      ['E_RECEIPT_UNCONFIRMED'],
    );
    assert.deepEqual(
      down.t.take().filter((f) => f.type === 'error'),
      [],
      'a refusal the client cannot avoid is not answered',
    );
    // Both on 360p now; segment 3 was announced before the downloader arrived on 360p: not credited.
    h.send(down, { type: 'rendition', rendition: '360p' });
    down.t.take();
    h.deliver(up, down, 3, 5000);
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'receipt').map((a) => a.code),
      ['E_RECEIPT_UNCONFIRMED', 'E_RECEIPT_BEFORE_JOIN'],
    );
    assert.deepEqual(down.t.take(), []);
    // A segment announced after both arrived is credited, as the 360p segment it is.
    ladder(h, 4, 5000);
    up.t.take();
    down.t.take();
    h.deliver(up, down, 4, 5000);
    assert.deepEqual(down.t.take(), [{ type: 'receipt-ack', sequence: 4, from: up.id }]);
    assert.equal(h.receipts.length, 1);
    assert.equal(h.receipts[0].rendition, '360p');
  });

  it("keeps the audience figures per rendition: a switched viewer's totals stay with the rendition it left", () => {
    const h = harness({ limits: { statsIntervalMs: 1000 } });
    ladder(h, 1);
    const a = h.join('live', '720p');
    const stats = (p2pBytes: number) => ({ type: 'stats', httpBytes: 100, p2pBytes, uploadedBytes: 0, stalls: 0, peers: 0 });
    h.send(a, stats(900));
    h.send(a, { type: 'rendition', rendition: '360p' });
    h.send(a, stats(50));
    const byRendition = Object.fromEntries(h.c.audienceSummary().map((s) => [s.rendition, [s.p2pBytes, s.reporting]]));
    assert.deepEqual(byRendition, { '720p': [900, 0], '360p': [50, 1] });
  });
});
