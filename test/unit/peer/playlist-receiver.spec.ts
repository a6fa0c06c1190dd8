// The peer's side of protocol v4's playlist deltas: a delta reaches the player's copy only once its
// digest matches, a copy that no longer follows the server is dropped (the loader goes to HTTP), and
// the server is asked once for whole copies.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PlaylistDeltaFrame } from '../../../lib/protocol';
import { PlaylistCopies } from '../../../lib/peer/playlist-copies';
import { PlaylistReceiver } from '../../../lib/peer/playlist-receiver';
import { playlistDigest, playlistEdits } from '../../../lib/signaling/playlist-delta';

const media = (first: number): string =>
  ['#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${first}`, ...[0, 1, 2].flatMap((i) => ['#EXTINF:2,', `seg${first + i}.ts`]), ''].join('\n');

function delta(fromVersion: number, from: string, to: string, digest = playlistDigest(to)): PlaylistDeltaFrame {
  return { type: 'playlist-delta', rendition: 'main', ended: false, from: fromVersion, version: fromVersion + 1, edits: playlistEdits(from, to)!, digest };
}

/** A receiver whose SHA-256 answers are held until the spec releases them, in any order. */
function setup() {
  const copies = new PlaylistCopies();
  const pending: Array<() => void> = [];
  let resyncs = 0;
  let now = 1000;
  const receiver = new PlaylistReceiver(copies, {
    sha256: (bytes) => new Promise((resolve) => pending.push(() => resolve(createHash('sha256').update(bytes).digest('hex')))),
    now: () => now,
    askResync: () => {
      resyncs++;
      return true;
    },
  });
  const settle = async (order?: number[]): Promise<void> => {
    const all = pending.splice(0);
    for (const i of order ?? all.map((_, k) => k)) all[i]();
    await new Promise((r) => setImmediate(r));
  };
  return { copies, receiver, settle, resyncs: () => resyncs, advance: (ms: number) => (now += ms) };
}

describe('peer: playlist deltas into the player’s copies', () => {
  it('applies a delta to the version held, and shows it only once its digest matches', async () => {
    const t = setup();
    t.receiver.whole({ rendition: 'main', text: media(0), ended: false, version: 4 }, 1000);
    t.receiver.delta(delta(4, media(0), media(1)), 1500);
    assert.equal(t.copies.media('main')!.text, media(0), 'not shown before the digest is checked');
    await t.settle();
    assert.deepEqual([t.copies.media('main')!.text, t.copies.media('main')!.version, t.copies.media('main')!.receivedAt], [media(1), 5, 1500]);
    assert.equal(t.copies.media('main')!.lastSequence, 3);
    assert.equal(t.resyncs(), 0);
  });

  it('a delta of a version it does not hold drops the copy and asks for whole copies once', async () => {
    const t = setup();
    t.receiver.whole({ rendition: 'main', text: media(0), ended: false, version: 4 }, 1000);
    t.receiver.delta(delta(5, media(1), media(2)), 1500);
    assert.equal(t.copies.media('main'), undefined, 'the loader must not answer from a copy that missed a version');
    assert.equal(t.resyncs(), 1);
    t.receiver.delta(delta(6, media(2), media(3)), 1600);
    assert.equal(t.resyncs(), 1, 'asked once while the answer is on its way');
    t.advance(5000);
    t.receiver.delta(delta(7, media(3), media(4)), 1700);
    assert.equal(t.resyncs(), 2, 'asked again when no answer came');
    // The answer: a whole copy, after which deltas apply again.
    t.receiver.whole({ rendition: 'main', text: media(4), ended: false, version: 8, ageMs: 0 }, 2000);
    t.receiver.delta(delta(8, media(4), media(5)), 2100);
    await t.settle();
    assert.equal(t.copies.media('main')!.text, media(5));
    // Another loss right after: no second ask within 5 s (signaling takes one a second, more is flooding).
    t.receiver.delta(delta(3, media(0), media(1)), 2200);
    assert.equal(t.resyncs(), 2);
  });

  it('a result whose digest differs is never shown, and neither is any version built on it', async () => {
    const t = setup();
    t.receiver.whole({ rendition: 'main', text: media(0), ended: false, version: 4 }, 1000);
    t.receiver.delta(delta(4, media(0), media(1), '0'.repeat(32)), 1500);
    t.receiver.delta(delta(5, media(1), media(2)), 1600);
    await t.settle();
    assert.equal(t.receiver.mismatches, 1);
    assert.equal(t.copies.media('main'), undefined);
    assert.equal(t.resyncs(), 1);
  });

  it('digests that settle out of order never take the copy back to an older version', async () => {
    const t = setup();
    t.receiver.whole({ rendition: 'main', text: media(0), ended: false, version: 4 }, 1000);
    t.receiver.delta(delta(4, media(0), media(1)), 1500);
    t.receiver.delta(delta(5, media(1), media(2)), 1600);
    await t.settle([1, 0]);
    assert.deepEqual([t.copies.media('main')!.text, t.copies.media('main')!.version], [media(2), 6]);
  });

  it('the master follows its own versions; a switch forgets the media chain only', async () => {
    const t = setup();
    const master = (bw: number) => `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=${bw}\nmain.m3u8\n`;
    t.receiver.whole({ rendition: null, text: master(1000), ended: false, version: 1 }, 1000);
    t.receiver.whole({ rendition: 'main', text: media(0), ended: false, version: 2 }, 1000);
    t.receiver.clearMedia();
    t.copies.clearMedia();
    t.receiver.delta({ ...delta(1, master(1000), master(2000)), rendition: null }, 1200);
    await t.settle();
    assert.equal(t.copies.master()!.text, master(2000));
    t.receiver.delta(delta(2, media(0), media(1)), 1300);
    assert.equal(t.resyncs(), 1, 'the media chain was forgotten with the rendition');
  });
});
