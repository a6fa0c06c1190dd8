// Protocol v4's playlist deltas: the edit list round-trips any change, a live window's new versions
// go out as deltas a fraction of the whole text's size, and a viewer's copy stays byte-identical to
// what manifest rendered (checked against each delta's digest by HeldCopies).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { applyPlaylistEdits } from '../../../lib/protocol';
import { playlistDigest, playlistEdits } from '../../../lib/signaling/playlist-delta';
import { harness, HeldCopies, type HeldCopy } from './harness';

/** A live window as manifest renders it: six 2 s segments with PDT and absolute R2 URLs. */
function liveWindow(first: number, segments = 6, ended = false): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${first}`, '#EXT-X-DISCONTINUITY-SEQUENCE:0'];
  for (let n = first; n < first + segments; n++) {
    lines.push('#EXTINF:2.000,', `#EXT-X-PROGRAM-DATE-TIME:${new Date(Date.UTC(2026, 11, 7, 12, 0, 2 * n)).toISOString()}`);
    lines.push(`https://pub-0123456789abcdef.r2.dev/relaycast/live/live/mxdg6a4b-ca7a9f1a/main/seg-${String(n).padStart(8, '0')}.ts`);
  }
  if (ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

describe('signaling: playlist versions pushed as deltas (protocol v4)', () => {
  it('the edit list turns any text into any other, line for line (property)', () => {
    const lines = fc.array(fc.constantFrom('#EXTM3U', '#EXTINF:2,', 'a.ts', 'b.ts', '', 'é', '#EXT-X-ENDLIST'), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const from = a.join('\n');
        const to = b.join('\n');
        const edits = playlistEdits(from, to);
        assert.ok(edits, 'thirty lines are within the diff bound');
        assert.equal(applyPlaylistEdits(from, edits), to);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses edits that do not cover the base exactly (a viewer holding another version)', () => {
    const edits = playlistEdits(liveWindow(0), liveWindow(1))!;
    assert.equal(applyPlaylistEdits(liveWindow(0, 5), edits), undefined, 'a base one segment shorter');
    assert.equal(applyPlaylistEdits(liveWindow(0, 7), edits), undefined, 'a base one segment longer');
    assert.equal(applyPlaylistEdits('x', [0]), undefined);
    assert.equal(applyPlaylistEdits('x', [1.5]), undefined);
    assert.equal(applyPlaylistEdits('x', [-2]), undefined);
  });

  it('a sliding live window: every version after the welcome is a delta under a third of the whole text, and the copy stays byte-identical', () => {
    const h = harness();
    h.announce(1);
    h.c.pushPlaylist({ stream: 'live', rendition: 'main', text: liveWindow(0), ended: false });
    h.announce(1, 'live', 'main');
    const viewers = [h.join('live', 'main'), h.join('live', 'main')];
    const held = viewers.map(() => new HeldCopies(h.c.playlistsFor('live', 'main') as HeldCopy[]));
    let deltaBytes = 0;
    let wholeBytes = 0;
    for (let first = 1; first <= 60; first++) {
      const text = liveWindow(first);
      assert.equal(h.c.pushPlaylist({ stream: 'live', rendition: 'main', text, ended: false }), 2);
      viewers.forEach((viewer, i) => {
        const raw = viewer.t.sent.splice(0);
        assert.equal(raw.length, 1);
        const frame = JSON.parse(raw[0]) as Record<string, unknown>;
        viewer.t.take();
        assert.equal(frame.type, 'playlist-delta');
        held[i].take(frame);
        assert.equal(held[i].text('main'), text);
        if (i === 0) deltaBytes += Buffer.byteLength(raw[0]);
      });
      wholeBytes += Buffer.byteLength(JSON.stringify({ type: 'playlist', rendition: 'main', text, ended: false, version: 1 }));
    }
    assert.ok(deltaBytes < wholeBytes / 3, `deltas ${deltaBytes} bytes against ${wholeBytes} whole`);
    // The end of the stream is a delta too, and carries `ended`.
    h.c.pushPlaylist({ stream: 'live', rendition: 'main', text: liveWindow(60, 6, true), ended: true });
    const end = viewers[0].t.take()[0];
    assert.deepEqual([end.type, end.ended], ['playlist-delta', true]);
    held[0].take(end);
    assert.equal(held[0].text('main'), liveWindow(60, 6, true));
    // The next presentation is another playlist: it goes whole.
    h.c.pushPlaylist({ stream: 'live', rendition: 'main', text: liveWindow(0), ended: false, presentation: 1 });
    assert.deepEqual(
      viewers[0].t.take().map((f) => [f.type, f.presentation]),
      [['playlist', 1]],
    );
  });

  it('a long rewrite goes whole, a short one as whichever frame is smaller; the digest is of the UTF-8 bytes', () => {
    const h = harness();
    h.announce(1, 'live', 'main');
    h.c.pushPlaylist({ stream: 'live', rendition: 'main', text: liveWindow(0), ended: false });
    const viewer = h.join('live', 'main');
    const held = new HeldCopies(h.c.playlistsFor('live', 'main') as HeldCopy[]);
    for (const text of [liveWindow(1000).replace(/seg-/g, 'other-'), liveWindow(0, 300), '#EXTM3U\n']) {
      h.c.pushPlaylist({ stream: 'live', rendition: 'main', text, ended: false });
      const [raw] = viewer.t.sent;
      const frame = viewer.t.take()[0];
      const whole = JSON.stringify({ type: 'playlist', rendition: 'main', text, ended: false, version: 9 });
      assert.ok(Buffer.byteLength(raw) <= Buffer.byteLength(whole), `${frame.type as string}: ${raw.length} bytes, never more than whole`);
      held.take(frame);
      assert.equal(held.text('main'), text);
    }
    assert.equal(playlistEdits(liveWindow(0, 200), liveWindow(1000, 200)), undefined, 'a 600-line rewrite is not diffed');
    assert.equal(playlistDigest('abc'), 'ba7816bf8f01cfea414140de5dae2223', "the first 16 bytes of SHA-256('abc') (FIPS 180-2's example)");
    assert.equal(
      playlistDigest('é'),
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex')
        .slice(0, 32),
    );
  });

  it('answers a resync with whole copies, at most once a second', () => {
    const h = harness();
    h.announce(1, 'live', 'main');
    h.c.pushPlaylist({ stream: 'live', rendition: null, text: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmain.m3u8\n', ended: false });
    h.c.pushPlaylist({ stream: 'live', rendition: 'main', text: liveWindow(0), ended: false });
    const viewer = h.join('live', 'main');
    h.send(viewer, { type: 'resync' });
    assert.deepEqual(
      viewer.t.take().map((f) => [f.type, f.rendition, f.version]),
      [
        ['playlist', null, 1],
        ['playlist', 'main', 2],
      ],
    );
    h.send(viewer, { type: 'resync' });
    assert.deepEqual(
      viewer.t.take().map((f) => f.code),
      ['E_SIGNAL_RATE_LIMITED'],
    );
    h.advance(1000);
    h.send(viewer, { type: 'resync' });
    assert.equal(viewer.t.take().length, 2);
    const stranger = h.connect();
    h.send(stranger, { type: 'resync' });
    assert.deepEqual(
      stranger.t.take().map((f) => f.code),
      ['E_SIGNAL_NOT_JOINED'],
    );
  });
});
