// The validator's LL-HLS rules (devtools/hls-validator/ll-rules.ts), case by case: a correct LL-HLS
// live playlist (as manifest renders one) passes, and each broken variant fails with its rule.
import assert from 'node:assert/strict';
import { PlaylistHistory, validateMediaPlaylist, type Violation } from '../../../devtools/hls-validator';

const rules = (violations: Violation[]) => violations.map((v) => `${v.severity}:${v.rule}`);

const at = (name: string) => `https://cdn.test/s/${name}`;
const part = (segment: number, index: number, duration = '0.333', independent = index === 0) =>
  `#EXT-X-PART:DURATION=${duration},URI="${at(`seg-${segment}.part${index}.ts`)}"${independent ? ',INDEPENDENT=YES' : ''}`;
const whole = (segment: number, second: number) => ['#EXTINF:1.000,', `#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:0${second}.000Z`, at(`seg-${segment}.ts`)];

const HEAD = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-TARGETDURATION:1',
  '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002',
  '#EXT-X-PART-INF:PART-TARGET=0.334',
  '#EXT-X-MEDIA-SEQUENCE:10',
  '#EXT-X-DISCONTINUITY-SEQUENCE:0',
];
const SEGMENTS = [
  ...whole(10, 0),
  ...whole(11, 1),
  part(12, 0),
  part(12, 1),
  part(12, 2),
  ...whole(12, 2),
  part(13, 0),
  part(13, 1),
  part(13, 2),
  ...whole(13, 3),
];
const OPEN = [part(14, 0), part(14, 1)];
const HINT = [`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${at('seg-14.part2.ts')}"`];

/** Segments 10..13 (12 and 13 with their parts), two parts of 14 in progress, and the hint for the third. */
function ll(overrides: { head?: string[]; segments?: string[]; open?: string[]; hint?: string[]; tail?: string[] } = {}): string {
  return (
    [
      ...(overrides.head ?? HEAD),
      ...(overrides.segments ?? SEGMENTS),
      ...(overrides.open ?? OPEN),
      ...(overrides.hint ?? HINT),
      ...(overrides.tail ?? []),
    ].join('\n') + '\n'
  );
}

const check = (text: string) => rules(validateMediaPlaylist(text, undefined, { requireAbsoluteUris: true }));

describe('hls-validator: LL-HLS rules', () => {
  it('accepts a correct LL-HLS live playlist without a single violation', () => {
    assert.deepEqual(check(ll()), []);
  });

  it('takes the parts after the last URI as the segment in progress, not as dangling tags', () => {
    assert.deepEqual(check(ll({ hint: [] })), []);
    // Without parts, tags after the last URI still dangle.
    assert.deepEqual(check(ll({ open: ['#EXT-X-DISCONTINUITY'], hint: [] })), ['error:segment.dangling-tags']);
  });

  const broken: Array<[string, string, string]> = [
    ['error:part-inf.missing', 'parts without EXT-X-PART-INF', ll({ head: HEAD.filter((l) => !l.startsWith('#EXT-X-PART-INF')) })],
    ['error:part-inf.invalid', 'PART-TARGET not a number', ll({ head: HEAD.map((l) => l.replace('PART-TARGET=0.334', 'PART-TARGET=soon')) })],
    ['error:tag.duplicate', 'two EXT-X-PART-INF', ll({ head: [...HEAD, '#EXT-X-PART-INF:PART-TARGET=0.334'] })],
    ['error:part.attributes', 'a malformed attribute list', ll({ open: [part(14, 0), '#EXT-X-PART:DURATION=0.333,URI="x",,'] })],
    ['error:part.duration-missing', 'a part without DURATION', ll({ open: [part(14, 0), `#EXT-X-PART:URI="${at('seg-14.part1.ts')}"`] })],
    ['error:part.uri-missing', 'a part without URI', ll({ open: [part(14, 0), '#EXT-X-PART:DURATION=0.333'] })],
    ['error:uri.relative', 'a relative part URI', ll({ open: [part(14, 0), '#EXT-X-PART:DURATION=0.333,URI="seg-14.part1.ts"'] })],
    ['error:part.independent', 'INDEPENDENT=NO', ll({ open: [part(14, 0), `${part(14, 1)},INDEPENDENT=NO`] })],
    ['error:server-control.blocking-reload', 'parts without blocking reload', ll({ head: HEAD.map((l) => l.replace('CAN-BLOCK-RELOAD=YES,', '')) })],
    ['error:server-control.part-hold-back-missing', 'no PART-HOLD-BACK', ll({ head: HEAD.map((l) => l.replace(',PART-HOLD-BACK=1.002', '')) })],
    [
      'error:server-control.part-hold-back-too-small',
      'PART-HOLD-BACK under twice the part target',
      ll({ head: HEAD.map((l) => l.replace('PART-HOLD-BACK=1.002', 'PART-HOLD-BACK=0.600')) }),
    ],
    [
      'warning:server-control.part-hold-back-short',
      'PART-HOLD-BACK under three times the part target',
      ll({ head: HEAD.map((l) => l.replace('PART-HOLD-BACK=1.002', 'PART-HOLD-BACK=0.700')) }),
    ],
    ['error:part.duration-exceeded', 'a part longer than PART-TARGET', ll({ open: [part(14, 0), part(14, 1, '0.400')] })],
    ['warning:part.duration-short', 'a short part in the middle of a segment', ll({ open: [part(14, 0), part(14, 1, '0.200'), part(14, 2)], hint: [] })],
    ['warning:part.first-not-independent', 'a segment whose first part is not independent', ll({ open: [part(14, 0, '0.333', false)] })],
    ['error:preload-hint.invalid', 'a hint without TYPE', ll({ hint: [`#EXT-X-PRELOAD-HINT:URI="${at('seg-14.part2.ts')}"`] })],
    ['error:preload-hint.duplicate', 'two part hints', ll({ hint: [...HINT, `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${at('seg-14.part3.ts')}"`] })],
    ['error:preload-hint.position', 'the hint before the last part', ll({ open: [part(14, 0), ...HINT, part(14, 1)], hint: [] })],
    [
      'error:part.sum-mismatch',
      'parts that do not add up to their segment',
      ll({ segments: SEGMENTS.map((l) => (l === part(13, 2) ? part(13, 2, '0.200') : l)) }),
    ],
    [
      'warning:part.stale',
      'parts listed more than three target durations from the end',
      ll({ segments: [...whole(10, 0), part(11, 0), part(11, 1), part(11, 2), ...SEGMENTS.slice(3)] }),
    ],
    ['error:part.after-endlist', 'parts in progress in a finished playlist', ll({ hint: [], tail: ['#EXT-X-ENDLIST'] })],
  ];
  for (const [rule, what, text] of broken) {
    it(`reports ${rule}: ${what}`, () => {
      assert.deepEqual(check(text), [rule]);
    });
  }

  it('has no LL-HLS rule for a playlist without LL-HLS tags', () => {
    const plain = ll({
      head: HEAD.filter((l) => !/PART-INF|SERVER-CONTROL/.test(l)),
      segments: SEGMENTS.filter((l) => !l.startsWith('#EXT-X-PART')),
      open: [],
      hint: [],
    });
    assert.deepEqual(check(plain), []);
  });

  it('accepts the versions of a live edge: parts appended, then their segment, then parts leaving older segments', () => {
    const history = new PlaylistHistory({ requireAbsoluteUris: true });
    const versions = [
      ll({ open: [part(14, 0)], hint: [`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${at('seg-14.part1.ts')}"`] }),
      ll(),
      ll({ open: [part(14, 0), part(14, 1), part(14, 2)], hint: [`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${at('seg-15.part0.ts')}"`] }),
      ll({
        head: HEAD.map((l) => l.replace('MEDIA-SEQUENCE:10', 'MEDIA-SEQUENCE:11')),
        segments: [...whole(11, 1), ...whole(12, 2), ...SEGMENTS.slice(SEGMENTS.indexOf(part(13, 0))), part(14, 0), part(14, 1), part(14, 2), ...whole(14, 4)],
        open: [part(15, 0)],
        hint: [`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${at('seg-15.part1.ts')}"`],
      }),
    ];
    for (const text of versions) assert.deepEqual(rules(history.push(text)), [], text);
  });
});
