import assert from 'node:assert/strict';
import { parseClientMessage, ProtocolViolation } from '../../../lib/signaling/validate';

function codeOf(text: string): string {
  try {
    parseClientMessage(text);
  } catch (err) {
    assert.ok(err instanceof ProtocolViolation);
    return err.code;
  }
  return 'accepted';
}
const j = (v: unknown) => JSON.stringify(v);
const PEER = 'AAAAAAAAAAAA';

describe('signaling validate', () => {
  it('accepts every v1 message type in its documented shape', () => {
    const ok = [
      { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' },
      { type: 'join', v: 4, stream: 'live', rendition: 'main', role: 'viewer', have: [1, 2, 3] },
      { type: 'join', v: 4, stream: 'live', rendition: '0', role: 'supporter', token: 'x'.repeat(32) },
      { type: 'offer', to: PEER, offerId: 'o-1', sdp: 'v=0' },
      { type: 'answer', to: PEER, offerId: 'o_1', sdp: 'v=0' },
      { type: 'ice', to: PEER, offerId: 'o1', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
      { type: 'ice', to: PEER, offerId: 'o1', candidate: null },
      { type: 'have', sequences: [] },
      { type: 'receipt', sequence: 7, from: PEER, bytes: 1 },
      { type: 'peers' },
      { type: 'peers', exclude: [PEER] },
      { type: 'leave' },
      { type: 'heartbeat' },
    ];
    for (const msg of ok) assert.deepEqual(parseClientMessage(j(msg)), msg, j(msg));
  });

  it('rejects malformed frames with the documented codes', () => {
    const cases: Array<[string, string]> = [
      ['{not json', 'E_SIGNAL_BAD_JSON'],
      ['', 'E_SIGNAL_BAD_JSON'],
      ['[1,2]', 'E_SIGNAL_BAD_MESSAGE'],
      ['null', 'E_SIGNAL_BAD_MESSAGE'],
      ['"join"', 'E_SIGNAL_BAD_MESSAGE'],
      [j({ kind: 'join' }), 'E_SIGNAL_BAD_MESSAGE'],
      [j({ type: 7 }), 'E_SIGNAL_BAD_MESSAGE'],
      [j({ type: 'chunk' }), 'E_SIGNAL_UNKNOWN_TYPE'],
      [j({ type: 'toString' }), 'E_SIGNAL_UNKNOWN_TYPE'],
      [j({ type: '__proto__' }), 'E_SIGNAL_UNKNOWN_TYPE'],
      [j({ type: 'segment', url: 'x' }), 'E_SIGNAL_UNKNOWN_TYPE'],
      [j({ type: 'join', v: 1, stream: 'live', rendition: '0', role: 'viewer' }), 'E_SIGNAL_VERSION'],
      [j({ type: 'join', stream: 'live', rendition: '0', role: 'viewer' }), 'E_SIGNAL_VERSION'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: '0', role: 'broadcaster' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'li ve', rendition: '0', role: 'viewer' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'x'.repeat(65), rendition: '0', role: 'viewer' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: 0, role: 'viewer' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: '0', role: 'supporter' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: '0', role: 'viewer', token: 'abc' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: '0', role: 'viewer', have: new Array(65).fill(1) }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: '0', role: 'viewer', have: [-1] }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'join', v: 4, stream: 'live', rendition: '0', role: 'viewer', extra: 1 }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'offer', to: PEER, offerId: 'o', sdp: 'v=0', from: 'BBBBBBBBBBBB' }), 'E_SIGNAL_SPOOFED_SENDER'],
      [j({ type: 'answer', to: PEER, offerId: 'o', sdp: 'v=0', sender: 'x' }), 'E_SIGNAL_SPOOFED_SENDER'],
      [j({ type: 'ice', to: PEER, offerId: 'o', candidate: null, peer: 'x' }), 'E_SIGNAL_SPOOFED_SENDER'],
      [j({ type: 'offer', to: 'short', offerId: 'o', sdp: 'v=0' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'offer', to: PEER, offerId: 'o'.repeat(65), sdp: 'v=0' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'offer', to: PEER, offerId: 'o', sdp: '' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'offer', to: PEER, offerId: 'o', sdp: { v: 0 } }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'offer', to: PEER, offerId: 'o', sdp: 'x'.repeat(15_001) }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'ice', to: PEER, offerId: 'o' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'ice', to: PEER, offerId: 'o', candidate: 'candidate:1' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'ice', to: PEER, offerId: 'o', candidate: { candidate: 'c', sdpMLineIndex: 256 } }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'ice', to: PEER, offerId: 'o', candidate: { candidate: 'c', extra: true } }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'ice', to: PEER, offerId: 'o', candidate: { candidate: 'c'.repeat(1025) } }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'have', sequences: 'all' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'have', sequences: [1.5] }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'receipt', sequence: 1, from: PEER, bytes: 0 }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'receipt', sequence: 1, from: PEER, bytes: '100' }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'receipt', sequence: 1, from: PEER, bytes: 1e300 }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'receipt', sequence: -1, from: PEER, bytes: 1 }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'peers', exclude: new Array(65).fill(PEER) }), 'E_SIGNAL_BAD_FIELD'],
      [j({ type: 'leave', now: true }), 'E_SIGNAL_BAD_FIELD'],
    ];
    for (const [text, code] of cases) assert.equal(codeOf(text), code, text.slice(0, 120));
  });

  it('applies the one id rule of the other nodes to stream and rendition ids', () => {
    const join = (stream: string, rendition: string) => JSON.stringify({ type: 'join', v: 4, stream, rendition, role: 'viewer' });
    assert.doesNotThrow(() => parseClientMessage(join('live', 'r'.repeat(64))), 'a 64-character rendition, as hls-watch and manifest allow');
    for (const [stream, rendition] of [
      ['live', 'r'.repeat(65)],
      ['..', 'main'],
      ['live', '.'],
      ['li/ve', 'main'],
    ]) {
      assert.throws(
        () => parseClientMessage(join(stream, rendition)),
        (err: Error & { code?: string }) => err.code === 'E_SIGNAL_BAD_FIELD',
        `${stream}/${rendition}`,
      );
    }
  });
});
