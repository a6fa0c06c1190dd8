// ICE servers handed to viewers: no static TURN secret for anonymous clients, but ephemeral TURN REST
// credentials (coturn use-auth-secret), and an empty default (a public STUN server sees every viewer).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { iceServersForPeer, turnRestCredential } from '../../../lib/signaling/ice-servers';
import { harness } from './harness';

const SECRET = 'shared-secret-of-coturn';

describe('signaling ICE servers', () => {
  it('derives coturn REST credentials: username expiry:user, credential base64(HMAC-SHA1(secret, username))', () => {
    const credential = turnRestCredential(SECRET, 'peerAAAAAAAA', 600, 1_700_000_000_000);
    assert.equal(credential.username, '1700000600:peerAAAAAAAA');
    assert.equal(credential.credential, createHmac('sha1', SECRET).update('1700000600:peerAAAAAAAA').digest('base64'));
  });

  it('gives each joining peer its own expiring TURN credential and leaves STUN entries bare', () => {
    const h = harness({
      iceServers: (peer) =>
        iceServersForPeer(
          [{ urls: 'stun:stun.example.org:3478' }, { urls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'] }],
          { turnSecret: SECRET, ttlSeconds: 3600 },
          peer.peer,
          h.now(),
        ),
    });
    h.announce(1);
    const a = h.connect();
    const b = h.connect();
    for (const c of [a, b]) h.send(c, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    const [wa, wb] = [a.t.take()[0], b.t.take()[0]];
    const expiry = Math.floor(h.now() / 1000) + 3600;
    assert.deepEqual(wa.iceServers, [
      { urls: 'stun:stun.example.org:3478' },
      {
        urls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'],
        username: `${expiry}:${wa.peer}`,
        credential: turnRestCredential(SECRET, wa.peer as string, 3600, h.now()).credential,
      },
    ]);
    assert.notEqual((wa.iceServers as Array<{ credential?: string }>)[1].credential, (wb.iceServers as Array<{ credential?: string }>)[1].credential);
  });

  it('hands out no ICE server unless the operator configures one', () => {
    const h = harness();
    h.announce(1);
    const a = h.connect();
    h.send(a, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(a.t.take()[0].iceServers, []);
  });
});
