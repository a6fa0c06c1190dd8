import assert from 'node:assert/strict';
import { announcementFromMsg } from '../../../lib/signaling/announcements';
import { parseSupporterTokens, tokenListVerifier } from '../../../lib/signaling/supporters';

const segment = {
  stream: 'live',
  rendition: '720p',
  session: 's1',
  encoderSequence: 4,
  sequence: 104,
  duration: 2.002,
  byteLength: 123456,
  sha256: 'a'.repeat(64),
  uri: 'seg4.ts',
  path: '/tmp/seg4.ts',
  contentType: 'video/mp2t',
  discontinuity: false,
  url: 'https://pub.r2.dev/live/720p/s1/104.ts',
};

describe('signaling announcements from input msgs', () => {
  it('takes a manifest playlist msg that carries its segment, and a plain segment msg', () => {
    const expected = {
      stream: 'live',
      rendition: '720p',
      session: 's1',
      sequence: 104,
      url: segment.url,
      size: 123456,
      sha256: 'a'.repeat(64),
      duration: 2.002,
    };
    assert.deepEqual(announcementFromMsg({ topic: 'playlist', segment }), expected);
    assert.deepEqual(announcementFromMsg({ topic: 'segment', segment }), expected);
  });

  it('ignores a playlist msg with no segment (a master playlist change)', () => {
    assert.equal(announcementFromMsg({ topic: 'playlist' }), null);
  });

  it('rejects a segment without a public URL or with bad fields (E_SIGNAL_INPUT)', () => {
    const bad = [
      {},
      { segment: 'x' },
      { segment: { ...segment, url: undefined } },
      { segment: { ...segment, url: 'file:///x' } },
      { segment: { ...segment, sha256: 'XYZ' } },
      { segment: { ...segment, byteLength: 0 } },
      { segment: { ...segment, duration: -1 } },
      { segment: { ...segment, stream: 'a/b' } },
    ];
    for (const msg of bad) assert.throws(() => announcementFromMsg(msg as never), { code: 'E_SIGNAL_INPUT' }, JSON.stringify(msg));
  });
});

describe('signaling supporter tokens', () => {
  it('maps tokens to supporter ids and never accepts an unlisted token', () => {
    const verify = tokenListVerifier(parseSupporterTokens('# friends\nalice: tok-alice-0123456789\n\nbob:tok-bob-01234567890\n'));
    assert.equal(verify('tok-alice-0123456789', { stream: 's', rendition: 'r' }), 'alice');
    assert.equal(verify('tok-bob-01234567890', { stream: 's', rendition: 'r' }), 'bob');
    assert.equal(verify('tok-alice-012345678', { stream: 's', rendition: 'r' }), null);
  });

  it('rejects malformed lines and short tokens (E_SIGNAL_CONFIG)', () => {
    assert.throws(() => parseSupporterTokens('alice tok-alice-0123456789'), { code: 'E_SIGNAL_CONFIG' });
    assert.throws(() => parseSupporterTokens('alice:short'), { code: 'E_SIGNAL_CONFIG' });
    assert.throws(() => parseSupporterTokens('al ice:tok-alice-0123456789'), { code: 'E_SIGNAL_CONFIG' });
  });
});
