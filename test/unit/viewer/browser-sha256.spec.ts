// An insecure context (plain HTTP at a LAN address) has no crypto.subtle: the loader then verifies
// peer bytes with the pure-JS SHA-256, which must give exactly the digests the server announces.
import assert from 'node:assert/strict';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { browserSha256 } from '../../../viewer/loader/browser-platform';

describe('viewer: SHA-256 with and without crypto.subtle', () => {
  const inputs = [new Uint8Array(0), new Uint8Array(randomBytes(1)), new Uint8Array(randomBytes(64)), new Uint8Array(randomBytes(1_000_003))];

  it('the pure-JS fallback gives the digest node:crypto gives, for every size', async () => {
    const fallback = browserSha256(undefined);
    for (const bytes of inputs) assert.equal(await fallback(bytes), createHash('sha256').update(bytes).digest('hex'), `${bytes.byteLength} bytes`);
  });

  it("with crypto.subtle, the browser's own digest is used and agrees", async () => {
    let calls = 0;
    const subtle = {
      digest: (algorithm: string, data: Uint8Array) => {
        calls++;
        return webcrypto.subtle.digest(algorithm, data);
      },
    };
    const own = browserSha256(subtle as never);
    for (const bytes of inputs) assert.equal(await own(bytes), createHash('sha256').update(bytes).digest('hex'));
    assert.equal(calls, inputs.length, 'crypto.subtle did the hashing');
  });
});
