// Places where the code and docs/signaling-protocol.md disagreed, each settled in both; every spec
// here failed on the code before (c1a610d) or pins the decision written in the document.
import assert from 'node:assert/strict';
import { BOUNDS, CLOSE_CODES } from '../../../lib/protocol';
import { harness } from './harness';

const errors = (frames: Array<Record<string, unknown>>) => frames.filter((f) => f.type === 'error').map((f) => f.code);

describe('signaling: code and document agree', () => {
  it('refuses a served claim addressed to the sender itself with E_SIGNAL_BAD_FIELD (section 8: `to` = self)', () => {
    const h = harness();
    h.announce(1);
    const peer = h.join();
    h.send(peer, { type: 'served', sequence: 1, to: peer.id, bytes: 100 });
    assert.deepEqual(errors(peer.t.take()), ['E_SIGNAL_BAD_FIELD']);
    assert.ok(h.audit.some((a) => a.kind === 'violation' && a.code === 'E_SIGNAL_BAD_FIELD'));
  });

  it('never counts receipt refusals an honest client cannot avoid, and closes a prober at the 27th of the others', () => {
    const h = harness();
    h.announce(1);
    const up = h.join();
    // BEFORE_JOIN: the downloader cannot know that its uploader joined after the announcement.
    const honest = h.join();
    h.negotiate(honest, up);
    for (let i = 0; i < 30; i++) h.send(honest, { type: 'receipt', sequence: 1, from: up.id, bytes: 10 });
    assert.equal(honest.s.closed, false, '30 BEFORE_JOIN refusals leave the connection open');
    assert.equal(honest.s.violations, 0);
    // UNKNOWN_SEGMENT: only a client that invents segments sends it; 16 are allowed per source, then
    // ten are violations, and the 11th violation (the 27th refusal) closes.
    const prober = h.join();
    for (let i = 0; i < 26; i++) h.send(prober, { type: 'receipt', sequence: 999, from: up.id, bytes: 10 });
    assert.equal(prober.s.closed, false);
    h.send(prober, { type: 'receipt', sequence: 999, from: up.id, bytes: 10 });
    assert.equal(prober.t.closed?.code, CLOSE_CODES.POLICY_VIOLATION);
  });

  it('bounds pushed playlists in UTF-8 bytes, not characters', () => {
    const h = harness();
    h.announce(1);
    // 150,000 two-byte characters: 300,000+ bytes, though fewer characters than the bound.
    const text = `#EXTM3U\n#EXT-X-VERSION:7\n# ${'é'.repeat(150_000)}\n`;
    assert.ok(text.length < BOUNDS.maxPushedPlaylistBytes && Buffer.byteLength(text) > BOUNDS.maxPushedPlaylistBytes);
    assert.equal(h.c.pushPlaylist({ stream: 'live', rendition: '720p', text, ended: false }), 0, 'not pushed');
    const a = h.connect();
    h.send(a, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(a.t.take()[0].playlists, []);
  });

  it('names at least one fetcher even when no member uploads', () => {
    const h = harness();
    h.announce(1);
    const metered = [h.connect(), h.connect()];
    const ids = metered.map((m) => {
      h.send(m, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer', upload: false });
      return m.t.take()[0].peer as string;
    });
    const named: string[] = [];
    for (let seq = 2; seq <= 3; seq++) {
      h.announce(seq);
      const frame = metered[0].t.take().find((f) => f.type === 'segment')!;
      assert.equal((frame.fetchers as string[]).length, 1);
      named.push((frame.fetchers as string[])[0]);
    }
    assert.deepEqual(new Set(named), new Set(ids), 'in rotation');
  });
});
