// The refusal codes parseClientFrame derives from a schema issue, in the order the document gives
// them (unknown or sender fields, then the version, then the first bad field), and the keys a plain
// object inherits, which a strict schema must still call unknown.
import assert from 'node:assert/strict';
import { parseClientFrame, PROTOCOL_VERSION } from '../../../lib/protocol';

const codeOf = (frame: unknown) => {
  const parsed = parseClientFrame(typeof frame === 'string' ? frame : JSON.stringify(frame));
  return parsed.ok ? 'ok' : parsed.code;
};
const PEER = 'AbCdEfGhIjKl';

describe('protocol: client frames refused with the documented code', () => {
  it('names a spoofed sender before a bad field, and the version before the rest of a join', () => {
    assert.equal(codeOf({ type: 'offer', to: 'bad', offerId: 'o', sdp: 'v=0', from: PEER }), 'E_SIGNAL_SPOOFED_SENDER');
    assert.equal(codeOf({ type: 'offer', to: 'bad', offerId: 'o', sdp: 'v=0', extra: 1 }), 'E_SIGNAL_BAD_FIELD');
    assert.equal(codeOf({ type: 'join', v: PROTOCOL_VERSION - 1, stream: '..', rendition: 'x', role: 'nobody' }), 'E_SIGNAL_VERSION');
    assert.equal(codeOf({ type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: 'x', role: 'viewer', token: 'x'.repeat(20) }), 'E_SIGNAL_BAD_FIELD');
    assert.equal(codeOf({ type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: 'x', role: 'supporter' }), 'E_SIGNAL_BAD_FIELD');
    assert.equal(codeOf({ type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: 'x', role: 'supporter', token: 't' }), 'ok');
    assert.equal(codeOf({ type: 'ice', to: PEER, offerId: 'o' }), 'E_SIGNAL_BAD_FIELD', 'candidate is required (null ends candidates)');
    assert.equal(codeOf({ type: 'ice', to: PEER, offerId: 'o', candidate: null }), 'ok');
  });

  it('calls inherited object keys unknown fields and unknown types', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      assert.equal(codeOf(`{"type":"leave","${key}":1}`), 'E_SIGNAL_BAD_FIELD', key);
      assert.equal(codeOf(`{"type":"${key}"}`), 'E_SIGNAL_UNKNOWN_TYPE', key);
    }
  });
});
