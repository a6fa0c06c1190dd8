import assert from 'node:assert/strict';
import { contentTypeFor } from '../../lib/hls/content-types';
import { isId, isSegmentDuration, toId } from '../../lib/protocol/msgs';
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

  it('has one id rule for stream and rendition ids (1–64 of A–Z a–z 0–9 . _ ~ -, never . or ..) and turns names into such ids', () => {
    for (const ok of ['main', '720p', 'a.b_c~d-e', 'x'.repeat(64)]) assert.equal(isId(ok), true, ok);
    for (const bad of ['', 'x'.repeat(65), 'has space', 'a/b', '.', '..', 'é', 42, undefined]) assert.equal(isId(bad), false, String(bad));
    assert.equal(toId('720p high'), '720p_high');
    assert.equal(toId('x'.repeat(80)).length, 64);
    assert.equal(toId('..'), '_');
    assert.equal(toId(''), '_');
    for (const name of ['720p high', 'x'.repeat(80), '..', '', 'ünï/cödé']) assert.equal(isId(toId(name)), true, name);
  });

  it('has one duration rule for segments: seconds > 0 (an EXTINF:0 segment is refused everywhere), at most an hour', () => {
    for (const ok of [0.001, 2, 3600]) assert.equal(isSegmentDuration(ok), true);
    for (const bad of [0, -1, 3600.5, Number.NaN, Number.POSITIVE_INFINITY, '2', undefined]) assert.equal(isSegmentDuration(bad), false, String(bad));
  });
});
