// Regressions of the hand-written validators the msg schemas replaced: payout took ".." as an id,
// and the receivers of one segment msg disagreed on what a valid segment is, so a segment one node
// passed on, the next refused (or announced what manifest would never list).
import assert from 'node:assert/strict';
import { readSegmentMsg } from '../../../lib/manifest/input';
import { parseReceipt, publishedSegmentFromMsg } from '../../../lib/payout/msg-input';
import { announcementFromMsg } from '../../../lib/signaling/announcements';
import { parseUploadInput } from '../../../lib/upload/input';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
  return undefined;
};

const SHA_OF_X = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';

describe('msg schemas: payout refuses ".." ids (they would become ledger key paths)', () => {
  const receipt = {
    id: 'live/720p/1/x',
    stream: 'live',
    rendition: '720p',
    sequence: 1,
    sha256: 'a'.repeat(64),
    segmentSize: 10,
    bytes: 10,
    uploader: { peer: 'upAlice00000', role: 'supporter', supporter: 'alice' },
    downloader: { peer: 'dnBob0000000', role: 'viewer' },
    receivedAt: '2026-12-01T00:00:00.000Z',
  };

  it("in a receipt's stream, rendition and supporter id", () => {
    assert.equal(
      codeOf(() => parseReceipt(receipt)),
      undefined,
      'the good receipt',
    );
    assert.equal(
      codeOf(() => parseReceipt({ ...receipt, stream: '..' })),
      'E_PAYOUT_RECEIPT',
    );
    assert.equal(
      codeOf(() => parseReceipt({ ...receipt, rendition: '..' })),
      'E_PAYOUT_RECEIPT',
    );
    assert.equal(
      codeOf(() => parseReceipt({ ...receipt, uploader: { ...receipt.uploader, supporter: '..' } })),
      'E_PAYOUT_RECEIPT',
    );
  });

  it('in a published segment', () => {
    const segment = { stream: 'live', rendition: '720p', sequence: 1, byteLength: 10, sha256: 'a'.repeat(64) };
    assert.equal(
      codeOf(() => publishedSegmentFromMsg({ topic: 'segment', segment })),
      undefined,
      'the good segment',
    );
    assert.equal(
      codeOf(() => publishedSegmentFromMsg({ topic: 'segment', segment: { ...segment, stream: '..' } })),
      'E_PAYOUT_SEGMENT',
    );
    assert.equal(
      codeOf(() => publishedSegmentFromMsg({ topic: 'playlist', segment: { ...segment, rendition: '..' } })),
      'E_PAYOUT_SEGMENT',
    );
  });
});

describe('msg schemas: every receiver of a segment msg agrees on what it refuses', () => {
  /** One byte ("x") stored by r2-upload: the msg as it reaches manifest, signaling and payout. */
  const good = {
    stream: 'live',
    rendition: '720p',
    session: 's1',
    encoderSequence: 4,
    sequence: 104,
    duration: 2,
    byteLength: 1,
    sha256: SHA_OF_X,
    uri: 'seg4.ts',
    path: '/tmp/seg4.ts',
    contentType: 'video/mp2t',
    discontinuity: false,
    url: 'https://pub.example.test/live/720p/s1/104.ts',
  };
  const receivers = {
    'r2-upload': (segment: Record<string, unknown>) =>
      parseUploadInput({ topic: 'segment', payload: Buffer.from('x'.repeat(Number(segment.byteLength) || 0)), segment }),
    manifest: (segment: Record<string, unknown>) => readSegmentMsg({ topic: 'segment', segment }),
    signaling: (segment: Record<string, unknown>) => announcementFromMsg({ topic: 'segment', segment }),
    payout: (segment: Record<string, unknown>) => publishedSegmentFromMsg({ topic: 'segment', segment }),
  };
  /** Each bad field, and the receivers that read it (r2-upload does not read the URL it sets). */
  const cases: Array<[string, Record<string, unknown>, Array<keyof typeof receivers>]> = [
    ['a segment longer than an hour (signaling announced it, manifest refused it)', { duration: 7200 }, ['r2-upload', 'manifest', 'signaling']],
    ['a URL with a space (signaling announced it, manifest refused it)', { url: 'https://pub.example.test/a b.ts' }, ['manifest', 'signaling']],
    [
      'an empty segment (manifest and payout took it, signaling refused it)',
      { byteLength: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      ['r2-upload', 'manifest', 'signaling', 'payout'],
    ],
    ['an upper-case SHA-256 (r2-upload stored it, signaling refused it)', { sha256: SHA_OF_X.toUpperCase() }, ['r2-upload', 'signaling', 'payout']],
    ['a program date-time that is no date (r2-upload stored it, manifest refused it)', { programDateTime: 'yesterday' }, ['r2-upload', 'manifest']],
  ];

  it('the good segment passes every receiver', () => {
    for (const [name, receive] of Object.entries(receivers))
      assert.equal(
        codeOf(() => receive(good)),
        undefined,
        name,
      );
  });

  for (const [what, change, readers] of cases) {
    it(what, () => {
      const refusedBy = readers.filter((name) => codeOf(() => receivers[name]({ ...good, ...change })) !== undefined);
      assert.deepEqual(refusedBy, readers);
    });
  }
});
