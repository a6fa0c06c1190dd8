// Both ends of the one contract: every frame the coordinator sends in a busy swarm (welcome with
// segments and playlists, peers, relayed offer/answer/ice, segment, playlist, receipt-ack, peer-left,
// error) passes the schema the peer engine parses server frames with.
import assert from 'node:assert/strict';
import { parseServerFrame, PROTOCOL_VERSION } from '../../../lib/protocol';
import { harness, type FakeTransport } from '../signaling/harness';

describe('protocol: what the server sends is what clients accept', () => {
  it('every frame of a busy swarm parses through ServerFrameSchema', () => {
    const h = harness();
    const sent: FakeTransport[] = [];
    const join = () => {
      const c = h.join();
      sent.push(c.t);
      return c;
    };
    h.announce(1);
    h.c.pushPlaylist({ stream: 'live', rendition: null, text: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p.m3u8\n', ended: false });
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n', ended: false, presentation: 2 });
    const a = join();
    const b = join();
    const c = join();
    const seen = new Set<string>();
    const check = (t: FakeTransport) => {
      for (const frame of t.take()) {
        assert.ok(parseServerFrame(JSON.stringify(frame)), `the schema accepts ${JSON.stringify(frame).slice(0, 200)}`);
        seen.add(String(frame.type));
      }
    };
    // The welcome (taken by join()) is checked on a fresh joiner.
    const late = h.connect();
    h.send(late, { type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: '720p', role: 'viewer' });
    check(late.t);
    h.send(a, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0 offer' });
    h.send(b, { type: 'answer', to: a.id, offerId: 'o1', sdp: 'v=0 answer' });
    h.send(a, { type: 'ice', to: b.id, offerId: 'o1', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    h.send(b, { type: 'ice', to: a.id, offerId: 'o1', candidate: null });
    h.announce(2);
    h.deliver(b, a, 2, 500);
    h.send(c, { type: 'peers' });
    h.send(c, { type: 'offer', to: 'AAAAAAAAAAAA', offerId: 'o2', sdp: 'v=0' });
    h.send(c, { type: 'leave' });
    h.c.pushPlaylist({ stream: 'live', rendition: '720p', text: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-ENDLIST\n', ended: true });
    for (const t of sent) check(t);
    assert.deepEqual([...seen].sort(), ['answer', 'error', 'ice', 'offer', 'peer-left', 'peers', 'playlist', 'receipt-ack', 'segment', 'welcome']);
  });
});
