import assert from 'node:assert/strict';
import { contentTypeFor } from '../../lib/contracts';
import { RelaycastError, toRelaycastError } from '../../lib/errors';

describe('contracts', () => {
  it('maps HLS file extensions to the content types players and CDNs expect', () => {
    assert.equal(contentTypeFor('seg_00001.ts'), 'video/mp2t');
    assert.equal(contentTypeFor('init.mp4'), 'video/mp4');
    assert.equal(contentTypeFor('chunk-3.M4S'), 'video/iso.segment');
    assert.equal(contentTypeFor('index.m3u8'), 'application/vnd.apple.mpegurl');
    assert.equal(contentTypeFor('audio.aac'), 'audio/aac');
    assert.equal(contentTypeFor('README'), 'application/octet-stream');
  });

  it('gives every error a code and keeps the original as cause', () => {
    const original = Object.assign(new Error('nope'), { code: 'ENOENT' });
    const wrapped = toRelaycastError(original);
    assert.equal(wrapped.code, 'ENOENT');
    assert.equal(wrapped.cause, original);
    assert.equal(toRelaycastError('plain').code, 'E_INTERNAL');
    const own = new RelaycastError('E_X', 'x');
    assert.equal(toRelaycastError(own), own);
  });
});
