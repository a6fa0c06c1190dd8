import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PlaylistHistory, validateMasterPlaylist, validateMediaPlaylist, type Violation } from '../../../devtools/hls-validator';

const rules = (violations: Violation[]) => violations.map((v) => `${v.severity}:${v.rule}`);

/** A correct live playlist: segments 10..13 after removals, one discontinuity, fMP4. */
function live(overrides: { head?: string[]; segments?: string[]; tail?: string[] } = {}): string {
  const head = overrides.head ?? ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:10', '#EXT-X-DISCONTINUITY-SEQUENCE:1'];
  const segments = overrides.segments ?? [
    '#EXT-X-MAP:URI="https://cdn.test/s/init-a.mp4"',
    '#EXTINF:2.000,',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
    'https://cdn.test/s/10.m4s',
    '#EXTINF:2.000,',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z',
    'https://cdn.test/s/11.m4s',
    '#EXT-X-DISCONTINUITY',
    '#EXT-X-MAP:URI="https://cdn.test/s/init-b.mp4"',
    '#EXTINF:2.000,',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:00.000Z',
    'https://cdn.test/s/12.m4s',
    '#EXTINF:1.900,',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:02.000Z',
    'https://cdn.test/s/13.m4s',
  ];
  return [...head, ...segments, ...(overrides.tail ?? [])].join('\n') + '\n';
}

describe('hls-validator: media playlist rules', () => {
  it('accepts a correct live playlist without a single violation', () => {
    assert.deepEqual(validateMediaPlaylist(live(), undefined, { requireAbsoluteUris: true }), []);
  });

  const broken: Array<[string, string, string]> = [
    ['error:m3u.header', 'missing #EXTM3U', live().replace('#EXTM3U\n', '')],
    ['error:targetduration.missing', 'no target duration', live().replace('#EXT-X-TARGETDURATION:2\n', '')],
    ['error:targetduration.invalid', 'fractional target duration', live().replace('TARGETDURATION:2', 'TARGETDURATION:2.5')],
    ['error:targetduration.exceeded', 'EXTINF 2.6 rounds to 3 > 2', live().replace('#EXTINF:1.900,', '#EXTINF:2.600,')],
    ['error:tag.duplicate', 'two target durations', live().replace('#EXT-X-MEDIA-SEQUENCE:10', '#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:10')],
    [
      'error:mediasequence.position',
      'media sequence after the first segment',
      live().replace('#EXT-X-MEDIA-SEQUENCE:10\n', '').replace('https://cdn.test/s/10.m4s', 'https://cdn.test/s/10.m4s\n#EXT-X-MEDIA-SEQUENCE:10'),
    ],
    [
      'error:discontinuitysequence.position',
      'discontinuity sequence after the first segment',
      live()
        .replace('#EXT-X-DISCONTINUITY-SEQUENCE:1\n', '')
        .replace('https://cdn.test/s/11.m4s', 'https://cdn.test/s/11.m4s\n#EXT-X-DISCONTINUITY-SEQUENCE:1'),
    ],
    ['error:sequence.invalid', 'negative media sequence', live().replace('MEDIA-SEQUENCE:10', 'MEDIA-SEQUENCE:-1')],
    ['error:extinf.missing', 'a URI without EXTINF', live().replace('#EXTINF:1.900,\n', '')],
    ['error:extinf.invalid', 'an unreadable duration', live().replace('#EXTINF:1.900,', '#EXTINF:abc,')],
    ['error:segment.dangling-tags', 'a trailing discontinuity', live({ tail: ['#EXT-X-DISCONTINUITY'] })],
    ['error:uri.relative', 'a relative segment URI', live().replace('https://cdn.test/s/13.m4s', '13.m4s')],
    ['error:map.uri-missing', 'EXT-X-MAP without URI', live().replace('#EXT-X-MAP:URI="https://cdn.test/s/init-b.mp4"', '#EXT-X-MAP:BYTERANGE="10@0"')],
    ['error:version.too-low', 'EXT-X-MAP with version 5', live().replace('VERSION:6', 'VERSION:5')],
    ['warning:version.higher-than-needed', 'version 7 where 6 is enough', live().replace('VERSION:6', 'VERSION:7')],
    ['error:playlist.mixed', 'a STREAM-INF in a media playlist', live({ tail: ['#EXT-X-STREAM-INF:BANDWIDTH=1'] })],
    ['error:playlisttype.invalid', 'an unknown playlist type', live({ tail: ['#EXT-X-PLAYLIST-TYPE:LIVE'] })],
    ['error:playlisttype.vod-without-endlist', 'VOD while live', live({ tail: ['#EXT-X-PLAYLIST-TYPE:VOD'] })],
    ['error:playlisttype.event-removed', 'an EVENT playlist that slides', live({ tail: ['#EXT-X-PLAYLIST-TYPE:EVENT'] })],
    ['error:endlist.not-last', 'a segment after ENDLIST', live().replace('#EXTINF:1.900,', '#EXT-X-ENDLIST\n#EXTINF:1.900,')],
    [
      'error:window.too-short',
      'a sliding window under 3 × TD',
      live()
        .replace(/#EXTINF:2.000,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\nhttps:\/\/cdn.test\/s\/10.m4s\n/, '')
        .replace(/#EXTINF:2.000,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z\nhttps:\/\/cdn.test\/s\/11.m4s\n/, ''),
    ],
    ['error:pdt.format', 'a date without a time zone', live().replace('2026-01-01T00:00:02.000Z', '2026-01-01T00:00:02.000')],
    ['error:pdt.overlap', 'a date that goes backwards', live().replace('2026-01-01T00:00:02.000Z', '2025-12-31T23:59:59.000Z')],
    [
      'warning:pdt.discontinuity',
      'a discontinuity without a date',
      live().replace('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:00.000Z\n', '').replace('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:02.000Z\n', ''),
    ],
  ];
  for (const [expected, what, text] of broken) {
    it(`reports ${expected} for ${what}`, () => {
      const found = rules(validateMediaPlaylist(text, undefined, { requireAbsoluteUris: true }));
      assert.ok(found.includes(expected), `expected ${expected}, got ${JSON.stringify(found)}`);
    });
  }

  it('needs version 8 for EXT-X-GAP and 3 for a decimal EXTINF', () => {
    const gap = live().replace('#EXTINF:1.900,', '#EXT-X-GAP\n#EXTINF:1.900,');
    assert.deepEqual(
      rules(validateMediaPlaylist(gap)).filter((r) => r.includes('version')),
      ['error:version.too-low'],
    );
    assert.deepEqual(rules(validateMediaPlaylist(gap.replace('VERSION:6', 'VERSION:8'))), []);
    const decimal = '#EXTM3U\n#EXT-X-VERSION:2\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\na.ts\n';
    assert.deepEqual(rules(validateMediaPlaylist(decimal)), ['error:version.too-low']);
    assert.deepEqual(rules(validateMediaPlaylist(decimal.replace('VERSION:2', 'VERSION:3'))), []);
  });

  it('accepts a short playlist at the start of a stream (nothing removed yet) and a finished one', () => {
    const start = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:6.000,\na.ts\n';
    assert.deepEqual(validateMediaPlaylist(start), []);
    const ended = live({ tail: ['#EXT-X-ENDLIST'] })
      .replace(/#EXTINF:2.000,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:0[02].000Z\nhttps:\/\/cdn.test\/s\/1[01].m4s\n/g, '')
      .replace('#EXT-X-DISCONTINUITY\n#EXT-X-MAP', '#EXT-X-MAP');
    assert.deepEqual(validateMediaPlaylist(ended), []);
  });
});

describe('hls-validator: successive versions (PlaylistHistory)', () => {
  const base = live();
  const next = live({
    head: ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:11', '#EXT-X-DISCONTINUITY-SEQUENCE:1'],
    segments: [
      '#EXT-X-MAP:URI="https://cdn.test/s/init-a.mp4"',
      '#EXTINF:2.000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z',
      'https://cdn.test/s/11.m4s',
      '#EXT-X-DISCONTINUITY',
      '#EXT-X-MAP:URI="https://cdn.test/s/init-b.mp4"',
      '#EXTINF:2.000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:00.000Z',
      'https://cdn.test/s/12.m4s',
      '#EXTINF:1.900,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:02.000Z',
      'https://cdn.test/s/13.m4s',
      '#EXTINF:2.000,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:03.900Z',
      'https://cdn.test/s/14.m4s',
    ],
  });

  it('accepts a removal from the front plus an append, then ENDLIST', () => {
    const history = new PlaylistHistory({ requireAbsoluteUris: true });
    assert.deepEqual(history.push(base), []);
    assert.deepEqual(history.push(next), []);
    assert.deepEqual(history.push(next + '#EXT-X-ENDLIST\n'), []);
    assert.equal(history.versions.length, 3);
  });

  const broken: Array<[string, string, string]> = [
    ['history.mediasequence-decreased', 'media sequence going back', base.replace('MEDIA-SEQUENCE:10', 'MEDIA-SEQUENCE:9')],
    ['history.targetduration-changed', 'target duration changing', next.replace('TARGETDURATION:2', 'TARGETDURATION:3')],
    ['history.version-decreased', 'version going down', next.replace('VERSION:6', 'VERSION:5')],
    ['history.playlisttype-changed', 'a playlist type appearing', next + '#EXT-X-PLAYLIST-TYPE:EVENT\n'],
    ['history.segment-changed', 'a listed segment rewritten', next.replace('#EXTINF:1.900,', '#EXTINF:1.800,')],
    [
      'history.segment-removed-from-end',
      'a segment removed from the end',
      base.replace(/#EXTINF:1.900,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:01:02.000Z\nhttps:\/\/cdn.test\/s\/13.m4s\n/, ''),
    ],
    ['history.discontinuitysequence-decreased', 'discontinuity sequence going back', next.replace('DISCONTINUITY-SEQUENCE:1', 'DISCONTINUITY-SEQUENCE:0')],
    [
      'history.discontinuity-number-changed',
      'discontinuity sequence raised without removing a tag',
      next.replace('DISCONTINUITY-SEQUENCE:1', 'DISCONTINUITY-SEQUENCE:2'),
    ],
    ['history.duplicate-uri', 'an old segment appended again', next.replace('https://cdn.test/s/14.m4s', 'https://cdn.test/s/11.m4s')],
  ];
  for (const [expected, what, text] of broken) {
    it(`reports ${expected} for ${what}`, () => {
      const history = new PlaylistHistory();
      history.push(base);
      const found = history.push(text).map((v) => v.rule);
      assert.ok(found.includes(expected), `expected ${expected}, got ${JSON.stringify(found)}`);
    });
  }

  it('reports a removed ENDLIST and any change after ENDLIST', () => {
    const history = new PlaylistHistory();
    history.push(base + '#EXT-X-ENDLIST\n');
    const found = history.push(next).map((v) => v.rule);
    assert.ok(found.includes('history.endlist-removed'));
    assert.ok(found.includes('history.changed-after-endlist'));
  });

  it('validateMediaPlaylist(text, previous) runs the same cross-version checks', () => {
    assert.deepEqual(validateMediaPlaylist(next, base), []);
    assert.ok(rules(validateMediaPlaylist(base, next)).includes('error:history.mediasequence-decreased'));
  });
});

describe('hls-validator: master playlist rules', () => {
  const master = [
    '#EXTM3U',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=400000,CODECS="avc1.42c01e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000',
    '0.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=200000,CODECS="avc1.42c00d,mp4a.40.2",RESOLUTION=320x180',
    '1.m3u8',
    '',
  ].join('\n');

  it('accepts a correct master playlist', () => {
    assert.deepEqual(validateMasterPlaylist(master), []);
  });

  const broken: Array<[string, string, string]> = [
    ['error:m3u.header', 'missing header', master.replace('#EXTM3U\n', '')],
    ['error:streaminf.bandwidth-missing', 'no BANDWIDTH', master.replace('BANDWIDTH=200000,', '')],
    ['error:streaminf.bandwidth-invalid', 'a decimal BANDWIDTH', master.replace('BANDWIDTH=200000', 'BANDWIDTH=2.5')],
    ['error:streaminf.average-bandwidth-invalid', 'a negative average', master.replace('AVERAGE-BANDWIDTH=400000', 'AVERAGE-BANDWIDTH=-4')],
    ['error:streaminf.average-above-peak', 'average above peak', master.replace('AVERAGE-BANDWIDTH=400000', 'AVERAGE-BANDWIDTH=600000')],
    ['warning:streaminf.codecs-missing', 'no CODECS', master.replace(',CODECS="avc1.42c00d,mp4a.40.2"', '')],
    ['error:streaminf.codecs-invalid', 'unquoted CODECS', master.replace('CODECS="avc1.42c00d,mp4a.40.2"', 'CODECS=avc1')],
    ['error:streaminf.resolution-invalid', 'a bad RESOLUTION', master.replace('RESOLUTION=320x180', 'RESOLUTION=320:180')],
    ['error:streaminf.frame-rate-invalid', 'a bad FRAME-RATE', master.replace('FRAME-RATE=30.000', 'FRAME-RATE=fast')],
    ['error:streaminf.uri-missing', 'a STREAM-INF without URI', master.replace('1.m3u8\n', '')],
    ['error:streaminf.uri-without-tag', 'a URI without STREAM-INF', master + '2.m3u8\n'],
    ['error:attributes.malformed', 'a malformed attribute list', master.replace('RESOLUTION=320x180', 'RESOLUTION=320x180,,')],
    ['error:playlist.mixed', 'an EXTINF in a master', master + '#EXTINF:2.0,\n'],
    ['error:tag.duplicate', 'two versions', master.replace('#EXTM3U', '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-VERSION:3')],
    ['error:master.no-variants', 'no variants', '#EXTM3U\n'],
  ];
  for (const [expected, what, text] of broken) {
    it(`reports ${expected} for ${what}`, () => {
      const found = rules(validateMasterPlaylist(text));
      assert.ok(found.includes(expected), `expected ${expected}, got ${JSON.stringify(found)}`);
    });
  }

  it('checks that the variants agree: target duration, discontinuity numbers, PDT, presence', () => {
    const media = (td: number, dseq: number, pdt: boolean) =>
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        `#EXT-X-TARGETDURATION:${td}`,
        '#EXT-X-MEDIA-SEQUENCE:4',
        `#EXT-X-DISCONTINUITY-SEQUENCE:${dseq}`,
        '#EXTINF:2.000,',
        ...(pdt ? ['#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z'] : []),
        'https://cdn.test/4.ts',
        '',
      ].join('\n');
    assert.deepEqual(validateMasterPlaylist(master, { '0.m3u8': media(2, 0, true), '1.m3u8': media(2, 0, true) }), []);
    const found = rules(validateMasterPlaylist(master, { '0.m3u8': media(2, 0, true), '1.m3u8': media(3, 1, false) }));
    assert.deepEqual(found.sort(), ['error:variants.discontinuity-mismatch', 'error:variants.pdt-inconsistent', 'error:variants.targetduration-mismatch']);
    assert.deepEqual(rules(validateMasterPlaylist(master, { '0.m3u8': media(2, 0, true) })), ['error:variants.missing-playlist']);
  });
});

describe('hls-validator: coverage of its own rules', () => {
  it('shows every rule id the validator can report failing somewhere in this spec', () => {
    const dir = path.resolve(__dirname, '../../../devtools/hls-validator');
    const source = fs
      .readdirSync(dir)
      .filter((f: string) => f.endsWith('.ts'))
      .map((f: string) => fs.readFileSync(`${dir}/${f}`, 'utf8'))
      .join('\n');
    const ruleIds = [...new Set([...source.matchAll(/out\.(?:error|warning)\('([a-z0-9.-]+)'/g)].map((m) => m[1]))];
    // This spec and its siblings (ll-rules.spec.ts has the LL-HLS rules).
    const spec = fs
      .readdirSync(__dirname)
      .filter((f: string) => f.endsWith('.spec.ts'))
      .map((f: string) => fs.readFileSync(path.join(__dirname, f), 'utf8'))
      .join('\n');
    assert.ok(ruleIds.length >= 40, `found only ${ruleIds.length} rule ids`);
    const untested = ruleIds.filter((id) => !spec.includes(`'${id}'`) && !spec.includes(`:${id}'`));
    assert.deepEqual(untested, []);
  });
});
