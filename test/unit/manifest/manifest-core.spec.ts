import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ManifestCore, wallClockMediaSequence, type ManifestOptions, type ManifestUpdate } from '../../../lib/manifest';
import { RelaycastError } from '../../../lib/errors';
import { PlaylistHistory, errorsOf, formatViolations, parseMediaPlaylist, validateMasterPlaylist } from '../../../devtools/hls-validator';
import { PUBLIC_BASE, gapMsg, lifecycleMsg, segmentMsg } from '../../support/manifest-msgs';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Drives a core and validates every media playlist version it produces, per rendition. */
class Harness {
  now = T0;
  readonly core: ManifestCore;
  readonly histories = new Map<string, PlaylistHistory>();
  readonly masters: string[] = [];

  constructor(options: Partial<ManifestOptions> = {}) {
    this.core = new ManifestCore({ clock: () => this.now, ...options });
  }

  apply(msg: unknown): ManifestUpdate {
    const update = this.core.apply(msg);
    this.record(update);
    return update;
  }

  record(update: ManifestUpdate): void {
    for (const media of update.media) {
      // One history per URL: a later presentation is served at its own URL (?presentation=N).
      const id = `${media.stream}/${media.rendition}${media.presentation ? `?presentation=${media.presentation}` : ''}`;
      if (!this.histories.has(id)) this.histories.set(id, new PlaylistHistory({ requireAbsoluteUris: true }));
      const violations = this.histories.get(id)!.push(media.text);
      assert.deepEqual(errorsOf(violations), [], `${id} version:\n${media.text}\n${formatViolations(violations)}`);
    }
    if (update.master) this.masters.push(update.master.text);
  }

  text(rendition = 'main', stream = 'demo'): string {
    return this.core.mediaPlaylist(stream, rendition)!.text;
  }

  versions(rendition = 'main', stream = 'demo'): number {
    return this.histories.get(`${stream}/${rendition}`)?.versions.length ?? 0;
  }
}

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof RelaycastError && err.code === code);
}

const url = (session: string, seq: number, rendition = 'main', ext = 'ts') =>
  `${PUBLIC_BASE}/demo/${session}/${rendition}/seg_${String(seq).padStart(5, '0')}.${ext}`;

describe('manifest core: media playlists', () => {
  it('renders the exact bytes of a young live playlist (no removal yet, computed PDT, own sequences)', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0, duration: 2 }));
    h.now += 2000;
    h.apply(segmentMsg({ sequence: 1, duration: 1.96 }));
    assert.equal(
      h.text(),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXTINF:2.000,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
        url('s1', 0),
        '#EXTINF:1.960,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z',
        url('s1', 1),
        '',
      ].join('\n'),
    );
    assert.equal(h.versions(), 2);
  });

  it('slides a window of 6 segments: media sequence rises by one per removed segment', () => {
    const h = new Harness();
    for (let i = 0; i < 10; i++) h.apply(segmentMsg({ sequence: i }));
    const p = parseMediaPlaylist(h.text());
    assert.equal(p.mediaSequence, 4);
    assert.deepEqual(
      p.segments.map((s) => s.uri),
      [4, 5, 6, 7, 8, 9].map((i) => url('s1', i)),
    );
    assert.equal(h.versions(), 10);
  });

  it('never slides under 3 × target duration, even with a small segment count', () => {
    const h = new Harness({ windowSegments: 3, targetDuration: 4 });
    for (let i = 0; i < 20; i++) h.apply(segmentMsg({ sequence: i, duration: 2 }));
    const p = parseMediaPlaylist(h.text());
    assert.equal(p.targetDuration, 4);
    assert.equal(p.segments.length, 6, '6 × 2 s = 12 s = 3 × TD');
    assert.equal(p.mediaSequence, 14);
  });

  it('chooses the target duration once per stream from the first segment, the same for every rendition', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0, duration: 2.002, rendition: 'hi' }));
    h.apply(segmentMsg({ sequence: 0, duration: 1.5, rendition: 'lo' }));
    assert.equal(h.core.targetDuration('demo'), 3);
    assert.match(h.text('lo'), /#EXT-X-TARGETDURATION:3\n/);
    assert.match(h.text('hi'), /#EXT-X-TARGETDURATION:3\n/);
  });

  it("takes the larger of the encoder's EXT-X-TARGETDURATION (segment.targetDuration) and the first segment's ceiling", () => {
    const fromEncoder = new Harness();
    fromEncoder.apply({ ...segmentMsg({ sequence: 0, duration: 1 }), segment: { ...segmentMsg({ sequence: 0, duration: 1 }).segment, targetDuration: 4 } });
    assert.equal(fromEncoder.core.targetDuration('demo'), 4);
    fromEncoder.apply(segmentMsg({ sequence: 1, duration: 3.9 }));
    assert.match(fromEncoder.text(), /#EXTINF:3\.900,/);
    const fromSegment = new Harness();
    fromSegment.apply({ ...segmentMsg({ sequence: 0, duration: 2.5 }), segment: { ...segmentMsg({ sequence: 0, duration: 2.5 }).segment, targetDuration: 1 } });
    assert.equal(fromSegment.core.targetDuration('demo'), 3, 'an encoder target below its own segment does not shrink it');
    assert.throws(
      () => new Harness().apply({ ...segmentMsg({ sequence: 0 }), segment: { ...segmentMsg({ sequence: 0 }).segment, targetDuration: 2.5 } }),
      (err: RelaycastError) => err.code === 'E_MANIFEST_BAD_SEGMENT' || /targetDuration/.test(err.message),
    );
  });

  it('refuses a segment longer than the target duration with a code, and marks the hole with a discontinuity', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0, duration: 2 }));
    const before = h.text();
    expectCode(() => h.apply(segmentMsg({ sequence: 1, duration: 2.6 })), 'E_MANIFEST_SEGMENT_TOO_LONG');
    assert.equal(h.text(), before, 'nothing listed');
    h.apply(segmentMsg({ sequence: 2, duration: 2.4 }));
    const p = parseMediaPlaylist(h.text());
    assert.deepEqual(
      p.segments.map((s) => [s.uri, s.discontinuity]),
      [
        [url('s1', 0), false],
        [url('s1', 2), true],
      ],
    );
  });

  it('continues both sequences through encoder restarts: DISCONTINUITY, then DISCONTINUITY-SEQUENCE as it slides out', () => {
    const h = new Harness();
    for (let i = 0; i < 6; i++) h.apply(segmentMsg({ sequence: i }));
    h.apply(lifecycleMsg('restarted', { session: 's2' }));
    for (let i = 0; i < 3; i++) h.apply(segmentMsg({ session: 's2', sequence: i }));
    let p = parseMediaPlaylist(h.text());
    assert.equal(p.mediaSequence, 3);
    assert.equal(p.discontinuitySequence, 0);
    assert.deepEqual(
      p.segments.map((s) => s.discontinuity),
      [false, false, false, true, false, false],
    );
    // A restart announced only by a new session id in the segment itself works the same way.
    for (let i = 0; i < 4; i++) h.apply(segmentMsg({ session: 's3', sequence: i }));
    for (let i = 0; i < 6; i++) h.apply(segmentMsg({ session: 's3', sequence: 4 + i }));
    p = parseMediaPlaylist(h.text());
    assert.equal(p.mediaSequence, 13);
    assert.equal(p.discontinuitySequence, 2);
    assert.equal(p.segments[0].msn, 13);
    assert.equal(h.versions(), 19);
  });

  it('marks a hole in the encoder numbering (segments never announced) with a discontinuity', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0 }));
    h.apply(segmentMsg({ sequence: 3 }));
    assert.deepEqual(
      parseMediaPlaylist(h.text()).segments.map((s) => s.discontinuity),
      [false, true],
    );
  });

  it('lists a failed upload as EXT-X-GAP (version 8) at the URL it would have had, keeping numbering aligned', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0 }));
    h.apply(gapMsg({ sequence: 1 }));
    h.apply(segmentMsg({ sequence: 2 }));
    const text = h.text();
    assert.match(text, /#EXT-X-VERSION:8\n/);
    assert.ok(text.includes(`#EXTINF:2.000,\n#EXT-X-GAP\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z\n${url('s1', 1)}\n`), text);
    assert.deepEqual(
      parseMediaPlaylist(text).segments.map((s) => [s.msn, s.gap, s.discontinuity]),
      [
        [0, false, false],
        [1, true, false],
        [2, false, false],
      ],
    );
  });

  it("in 'discontinuity' gap mode leaves the failed segment out and puts EXT-X-DISCONTINUITY on the next", () => {
    const h = new Harness({ gapMode: 'discontinuity' });
    h.apply(segmentMsg({ sequence: 0 }));
    assert.deepEqual(h.apply(gapMsg({ sequence: 1 })).media, []);
    h.apply(segmentMsg({ sequence: 2 }));
    const p = parseMediaPlaylist(h.text());
    assert.equal(p.version, 3);
    assert.deepEqual(
      p.segments.map((s) => [s.msn, s.uri, s.discontinuity]),
      [
        [0, url('s1', 0), false],
        [1, url('s1', 2), true],
      ],
    );
  });

  it('keeps every segment with DVR and ends with EXT-X-ENDLIST as a complete VOD (no PLAYLIST-TYPE)', () => {
    // No grace here: the ENDLIST goes out with the encoder's (the grace has its own specs below).
    const h = new Harness({ dvr: true, endGraceSeconds: 0 });
    for (let i = 0; i < 30; i++) h.apply(segmentMsg({ sequence: i }));
    const update = h.apply(lifecycleMsg('ended', { sequence: 29 }));
    assert.equal(update.media.length, 1);
    assert.equal(update.media[0].ended, true);
    const p = parseMediaPlaylist(h.text());
    assert.equal(p.segments.length, 30);
    assert.equal(p.mediaSequence, 0);
    assert.equal(p.endList, true);
    assert.equal(p.playlistType, undefined);
    assert.ok(h.text().endsWith(`${url('s1', 29)}\n#EXT-X-ENDLIST\n`));
    expectCode(() => h.apply(segmentMsg({ sequence: 30 })), 'E_MANIFEST_ENDED');
    assert.deepEqual(h.apply(lifecycleMsg('ended')).media, [], 'a second end changes nothing');
  });

  it('ends a rendition that listed nothing for the idle time (a crashed encoder writes no ENDLIST)', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) {
      h.apply(segmentMsg({ sequence: i }));
      h.apply(segmentMsg({ sequence: i, rendition: 'lo' }));
      h.now += 2000;
    }
    h.apply(segmentMsg({ sequence: 3 }));
    h.now += 9000;
    const updates = h.core.endIdle(10_000);
    assert.deepEqual(
      updates.map((u) => u.media.map((m) => [m.rendition, m.ended])),
      [[['lo', true]]],
    );
    for (const u of updates) h.record(u);
    assert.ok(h.text('lo').endsWith('#EXT-X-ENDLIST\n'));
    assert.ok(!h.text('main').includes('ENDLIST'));
    assert.deepEqual(h.core.endIdle(10_000), [], 'nothing twice');
  });

  it('never re-opens an ended playlist: a new session after ENDLIST is a new presentation, the ended one stays as served', () => {
    // Before #14 (defect 7) the ended playlist itself was re-opened: a change after ENDLIST.
    const h = new Harness({ endGraceSeconds: 0 });
    for (let i = 0; i < 8; i++) h.apply(segmentMsg({ sequence: i }));
    h.apply(lifecycleMsg('ended'));
    const ended = h.text();
    const update = h.core.apply(segmentMsg({ session: 's2', sequence: 0 }));
    const p = parseMediaPlaylist(update.media[0].text);
    assert.equal(p.endList, false);
    assert.equal(update.media[0].presentation, 1);
    assert.equal(h.core.mediaPlaylist('demo', 'main', 0)!.text, ended);
  });

  it('writes EXT-X-MAP (absolute, version 6) for fMP4 and a new MAP after a restart with a new init section', () => {
    const h = new Harness();
    for (let i = 0; i < 2; i++) h.apply(segmentMsg({ sequence: i, fmp4: true }));
    h.apply(lifecycleMsg('restarted', { session: 's2' }));
    h.apply(segmentMsg({ session: 's2', sequence: 0, fmp4: true }));
    h.apply(segmentMsg({ session: 's2', sequence: 1, fmp4: true }));
    assert.equal(
      h.text(),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        `#EXT-X-MAP:URI="${PUBLIC_BASE}/demo/s1/main/init.mp4"`,
        '#EXTINF:2.000,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
        url('s1', 0, 'main', 'm4s'),
        '#EXTINF:2.000,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z',
        url('s1', 1, 'main', 'm4s'),
        '#EXT-X-DISCONTINUITY',
        `#EXT-X-MAP:URI="${PUBLIC_BASE}/demo/s2/main/init.mp4"`,
        '#EXTINF:2.000,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:04.000Z',
        url('s2', 0, 'main', 'm4s'),
        '#EXTINF:2.000,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:06.000Z',
        url('s2', 1, 'main', 'm4s'),
        '',
      ].join('\n'),
    );
  });

  it("uses the encoder's PROGRAM-DATE-TIME, but never one that would map a date to two segments", () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0, programDateTime: '2026-11-23T09:37:27.950+0000' }));
    h.apply(segmentMsg({ sequence: 1, programDateTime: '2026-11-23T09:37:29.950+0000' }));
    h.apply(segmentMsg({ sequence: 2, programDateTime: '2026-11-23T09:37:20.000+0000' }));
    assert.deepEqual(
      parseMediaPlaylist(h.text()).segments.map((s) => s.programDateTime),
      ['2026-11-23T09:37:27.950Z', '2026-11-23T09:37:29.950Z', '2026-11-23T09:37:31.950Z'],
    );
  });
});

describe('manifest core: bad input is refused with a code and changes nothing', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no topic', { payload: 1 }, 'E_MANIFEST_BAD_TOPIC'],
    ['not an object', 'segment', 'E_MANIFEST_BAD_MSG'],
    ['no segment', { topic: 'segment' }, 'E_MANIFEST_BAD_MSG'],
    ['no url (not uploaded)', segmentMsg({ sequence: 5, url: null }), 'E_MANIFEST_NO_URL'],
    ['a relative url', segmentMsg({ sequence: 5, url: 'seg_5.ts' }), 'E_MANIFEST_BAD_URL'],
    ['a url with a line break', segmentMsg({ sequence: 5, url: 'https://x.test/a\n#EXT-X-ENDLIST' }), 'E_MANIFEST_BAD_URL'],
    ['a NaN duration', segmentMsg({ sequence: 5, duration: Number.NaN }), 'E_MANIFEST_BAD_MSG'],
    ['a rendition id unusable in a path', segmentMsg({ sequence: 5, rendition: '../x' }), 'E_MANIFEST_BAD_ID'],
    [
      'an fMP4 init without url',
      (() => {
        const m = segmentMsg({ sequence: 5, fmp4: true });
        delete m.init!.url;
        return m;
      })(),
      'E_MANIFEST_NO_INIT_URL',
    ],
    [
      'an unknown lifecycle event',
      { topic: 'lifecycle', payload: { event: 'paused', stream: 'demo', rendition: 'main', session: 's1' } },
      'E_MANIFEST_BAD_MSG',
    ],
    ['a duplicate', segmentMsg({ sequence: 4 }), 'E_MANIFEST_DUPLICATE'],
    ['an out-of-order segment', segmentMsg({ sequence: 2 }), 'E_MANIFEST_OUT_OF_ORDER'],
  ];
  for (const [what, msg, code] of cases) {
    it(`${what} → ${code}`, () => {
      const h = new Harness();
      for (let i = 0; i < 5; i++) h.apply(segmentMsg({ sequence: i }));
      const before = h.text();
      expectCode(() => h.apply(msg), code);
      assert.equal(h.text(), before);
      h.apply(segmentMsg({ sequence: 5 }));
      assert.equal(parseMediaPlaylist(h.text()).segments.at(-1)!.uri, url('s1', 5), 'the next good segment is listed');
    });
  }

  it('refuses a late segment of an older session, a same-URL segment, and streams/renditions it does not serve', () => {
    const h = new Harness({ streams: ['demo'], renditions: ['main', 'hi'] });
    h.apply(segmentMsg({ sequence: 0 }));
    h.apply(segmentMsg({ session: 's2', sequence: 0 }));
    expectCode(() => h.apply(segmentMsg({ session: 's1', sequence: 1 })), 'E_MANIFEST_STALE_SESSION');
    expectCode(() => h.apply(segmentMsg({ session: 's2', sequence: 1, url: url('s1', 0) })), 'E_MANIFEST_DUPLICATE');
    expectCode(() => h.apply(segmentMsg({ sequence: 0, stream: 'other' })), 'E_MANIFEST_WRONG_STREAM');
    expectCode(() => h.apply(segmentMsg({ sequence: 0, rendition: 'lo' })), 'E_MANIFEST_WRONG_RENDITION');
    expectCode(() => new ManifestCore({ windowSegments: 2 }), 'E_MANIFEST_CONFIG');
  });
});

describe('manifest core: snapshot and restore', () => {
  it('restores window, sequences and target duration so the next version continues without reset or duplicate', () => {
    const h = new Harness();
    for (let i = 0; i < 9; i++) h.apply(segmentMsg({ sequence: i }));
    h.apply(lifecycleMsg('restarted', { session: 's2' }));
    h.apply(segmentMsg({ session: 's2', sequence: 0 }));
    const before = h.text();
    const saved = JSON.parse(JSON.stringify(h.core.snapshot()));

    const restored = new ManifestCore({ clock: () => h.now, targetDuration: 5 });
    restored.restore(saved);
    assert.equal(restored.mediaPlaylist('demo', 'main')!.text, before, 'the same bytes are served after a restart');
    assert.equal(restored.targetDuration('demo'), 2, 'the stream keeps its target duration even if the configuration changed');
    expectCode(() => restored.apply(segmentMsg({ session: 's2', sequence: 0 })), 'E_MANIFEST_DUPLICATE');
    expectCode(() => restored.apply(segmentMsg({ session: 's1', sequence: 9 })), 'E_MANIFEST_STALE_SESSION');
    h.record(restored.apply(segmentMsg({ session: 's2', sequence: 1 })));
    const p = parseMediaPlaylist(restored.mediaPlaylist('demo', 'main')!.text);
    assert.equal(p.segments.at(-1)!.msn, 10);
    assert.equal(p.mediaSequence, 5);
  });

  it('refuses a damaged snapshot with E_MANIFEST_STATE', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.apply(segmentMsg({ sequence: i }));
    const saved = JSON.parse(JSON.stringify(h.core.snapshot()));
    saved.streams[0].renditions[0].entries.splice(1, 1);
    expectCode(() => new ManifestCore().restore(saved), 'E_MANIFEST_STATE');
    expectCode(() => new ManifestCore().restore({ format: 99 }), 'E_MANIFEST_STATE');
  });
});

describe('manifest core: master playlist from the ts-multi fixture', () => {
  const fixture = path.resolve(__dirname, '../../fixtures/hls/ts-multi');
  const masterText = readFileSync(path.join(fixture, 'master.m3u8'), 'utf8');

  function variantOf(rendition: string) {
    const lines = masterText.split('\n');
    const at = lines.indexOf(`${rendition}/index.m3u8`);
    const attrs = lines[at - 1];
    const [w, hgt] = /RESOLUTION=(\d+)x(\d+)/.exec(attrs)!.slice(1).map(Number);
    return { bandwidth: Number(/BANDWIDTH=(\d+)/.exec(attrs)![1]), codecs: /CODECS="([^"]+)"/.exec(attrs)![1], resolution: { width: w, height: hgt } };
  }

  it('measures BANDWIDTH / AVERAGE-BANDWIDTH from the real segment sizes and copies CODECS and RESOLUTION', () => {
    const h = new Harness();
    const expected: Record<string, { peak: number; bits: number; seconds: number }> = {};
    for (const rendition of ['0', '1', '2']) {
      const playlist = parseMediaPlaylist(readFileSync(path.join(fixture, rendition, 'index.m3u8'), 'utf8'));
      expected[rendition] = { peak: 0, bits: 0, seconds: 0 };
      for (const s of playlist.segments) {
        const byteLength = statSync(path.join(fixture, rendition, s.uri)).size;
        h.apply(segmentMsg({ rendition, sequence: s.msn, duration: s.duration, byteLength, variant: variantOf(rendition) }));
        expected[rendition].peak = Math.max(expected[rendition].peak, (byteLength * 8) / s.duration);
        expected[rendition].bits += byteLength * 8;
        expected[rendition].seconds += s.duration;
      }
    }
    const master = h.core.masterPlaylist('demo')!.text;
    const medias = Object.fromEntries(['0', '1', '2'].map((r) => [`${r}.m3u8`, h.text(r)]));
    assert.deepEqual(validateMasterPlaylist(master, medias), []);
    for (const text of h.masters) assert.deepEqual(errorsOf(validateMasterPlaylist(text)), []);
    const lines = master.split('\n');
    assert.equal(lines[0], '#EXTM3U');
    for (const [i, rendition] of ['0', '1', '2'].entries()) {
      const attrs = lines[1 + i * 2];
      assert.equal(lines[2 + i * 2], `${rendition}.m3u8`);
      const peak = Number(/BANDWIDTH=(\d+)/.exec(attrs)![1]);
      const average = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(attrs)![1]);
      const measuredPeak = expected[rendition].peak;
      const measuredAverage = expected[rendition].bits / expected[rendition].seconds;
      assert.ok(peak >= measuredPeak && peak < measuredPeak * 1.01, `${rendition}: ${peak} vs measured ${measuredPeak}`);
      assert.ok(average >= measuredAverage && average < measuredAverage * 1.01, `${rendition}: ${average} vs measured ${measuredAverage}`);
      const v = variantOf(rendition);
      assert.ok(attrs.endsWith(`,CODECS="${v.codecs}",RESOLUTION=${v.resolution.width}x${v.resolution.height}`), attrs);
    }
  });
});

describe("manifest core: the encoder's ENDLIST, held for a grace period", () => {
  it('holds ENDLIST for the grace (default 3 × target duration): a restart inside it continues the same playlist with a discontinuity, never an ENDLIST', () => {
    const h = new Harness();
    for (let i = 0; i < 4; i++) {
      h.apply(segmentMsg({ sequence: i }));
      h.now += 2000;
    }
    assert.deepEqual(h.apply(lifecycleMsg('ended', { sequence: 3 })).media, [], 'nothing published when the encoder stops');
    h.now += 5000;
    assert.deepEqual(h.core.endDue(), [], 'still inside 3 × 2 s');
    h.apply(lifecycleMsg('started', { session: 's2' }));
    const update = h.apply(segmentMsg({ session: 's2', sequence: 0 }));
    assert.equal(update.media[0].presentation, 0, 'the same playlist, at the same URL');
    const p = parseMediaPlaylist(h.text());
    assert.equal(p.endList, false);
    assert.deepEqual(
      p.segments.slice(-2).map((e) => [e.msn, e.discontinuity]),
      [
        [3, false],
        [4, true],
      ],
    );
    h.now += 60_000;
    assert.deepEqual(h.core.endDue(), [], 'the held end was cancelled by the restart');
    assert.ok(!h.text().includes('ENDLIST'));
  });

  it('publishes ENDLIST once the grace has passed; that playlist never changes again, and a later session is a new presentation the master points to', () => {
    const h = new Harness({ endGraceSeconds: 4 });
    for (let i = 0; i < 4; i++) {
      h.apply(segmentMsg({ sequence: i }));
      h.now += 2000;
    }
    h.apply(lifecycleMsg('ended', { sequence: 3 }));
    h.now += 3999;
    assert.deepEqual(h.core.endDue(), []);
    h.now += 1;
    const ended = h.core.endDue();
    for (const u of ended) h.record(u);
    assert.deepEqual(
      ended.map((u) => u.media.map((m) => [m.rendition, m.ended, m.presentation])),
      [[['main', true, 0]]],
    );
    const finished = h.core.mediaPlaylist('demo', 'main', 0)!;
    assert.ok(finished.text.endsWith('#EXT-X-ENDLIST\n'));

    h.apply(lifecycleMsg('started', { session: 's2' }));
    const update = h.apply(segmentMsg({ session: 's2', sequence: 0 }));
    assert.equal(update.media[0].presentation, 1);
    assert.equal(update.media[0].ended, false);
    const next = parseMediaPlaylist(update.media[0].text);
    assert.deepEqual(
      next.segments.map((e) => [e.msn, e.uri, e.discontinuity]),
      [[0, url('s2', 0), false]],
      'a new playlist: only the new session, numbered from 0',
    );
    assert.equal(h.core.mediaPlaylist('demo', 'main', 0)!.text, finished.text, 'the finished playlist is unchanged');
    assert.equal(h.core.mediaPlaylist('demo', 'main', 0)!.etag, finished.etag);
    assert.equal(h.core.mediaPlaylist('demo', 'main', 1)!.text, update.media[0].text);
    assert.match(h.core.masterPlaylist('demo')!.text, /\nmain\.m3u8\?presentation=1\n/, 'a player loading the master anew gets the new session');
    for (let i = 1; i < 3; i++) h.apply(segmentMsg({ session: 's2', sequence: i }));
    assert.equal(h.core.mediaPlaylist('demo', 'main', 0)!.text, finished.text, 'still unchanged');
  });

  it('an encoder that resumes the same session after an idle end is listed again, in a new presentation (not E_MANIFEST_ENDED forever)', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0 }));
    h.now += 20_000;
    for (const u of h.core.endIdle(10_000)) h.record(u);
    assert.ok(h.text().endsWith('#EXT-X-ENDLIST\n'));
    const finished = h.text();
    const update = h.apply(segmentMsg({ sequence: 1 }));
    assert.equal(update.media[0].presentation, 1);
    assert.equal(h.core.mediaPlaylist('demo', 'main', 0)!.text, finished);
  });

  it('with a grace of 0 ends at once, as before', () => {
    const h = new Harness({ endGraceSeconds: 0 });
    h.apply(segmentMsg({ sequence: 0 }));
    const update = h.apply(lifecycleMsg('ended'));
    assert.equal(update.media[0].ended, true);
  });

  it('keeps the held end and the finished presentation across a snapshot (redeploy)', () => {
    const h = new Harness({ endGraceSeconds: 4 });
    h.apply(segmentMsg({ sequence: 0 }));
    h.apply(lifecycleMsg('ended'));
    const restored = new ManifestCore({ clock: () => h.now, endGraceSeconds: 4 });
    restored.restore(JSON.parse(JSON.stringify(h.core.snapshot())));
    h.now += 4000;
    assert.equal(restored.endDue().length, 1, 'the held end survives the redeploy');
    const finished = restored.mediaPlaylist('demo', 'main', 0)!.text;
    restored.apply(segmentMsg({ session: 's2', sequence: 0 }));
    const again = new ManifestCore({ clock: () => h.now, endGraceSeconds: 4 });
    again.restore(JSON.parse(JSON.stringify(restored.snapshot())));
    assert.equal(again.mediaPlaylist('demo', 'main', 0)!.text, finished);
    assert.ok(again.mediaPlaylist('demo', 'main', 1));
  });
});

describe('manifest core: sequence numbers after a lost state', () => {
  it('numbers from the wall-clock floor, above anything a stream numbered from 0 can have reached', () => {
    const h = new Harness();
    const floor = wallClockMediaSequence(h.now);
    assert.ok(floor > 10 * (h.now / 1000) - 1, 'ahead of one number per 100 ms since the epoch');
    h.core.floorSequences(floor);
    // Not through the validating harness: a first version numbered from n looks to a validator
    // like one whose first n segments were removed, which here is what it stands for.
    h.core.apply(segmentMsg({ sequence: 0 }));
    assert.equal(parseMediaPlaylist(h.text()).mediaSequence, floor);
    const restored = new ManifestCore({ clock: () => h.now });
    restored.restore(JSON.parse(JSON.stringify(h.core.snapshot())));
    assert.equal(restored.mediaPlaylist('demo', 'main')!.mediaSequence, floor, 'and the floor survives in the snapshot');
  });
});

describe('manifest core: master playlist and ended renditions', () => {
  it('drops an ended rendition from the master while others are live; a finished stream lists them all', () => {
    const h = new Harness({ endGraceSeconds: 0 });
    for (const rendition of ['hi', 'lo']) h.apply(segmentMsg({ sequence: 0, rendition }));
    h.apply(lifecycleMsg('ended', { rendition: 'lo' }));
    h.apply(segmentMsg({ sequence: 1, rendition: 'hi' }));
    const master = h.core.masterPlaylist('demo')!.text;
    assert.match(master, /hi\.m3u8/);
    assert.doesNotMatch(master, /lo\.m3u8/, 'a rendition that left the encoder is not offered any more');
    h.apply(lifecycleMsg('ended', { rendition: 'hi' }));
    assert.match(h.core.masterPlaylist('demo')!.text, /hi\.m3u8[\s\S]*lo\.m3u8/, 'the finished stream offers every rendition');
  });
});

describe('manifest core: a master playlist only once every variant is described', () => {
  const hiVariant = { bandwidth: 2_000_000, codecs: 'avc1.64001f,mp4a.40.2', resolution: { width: 1280, height: 720 } };
  const loVariant = { bandwidth: 500_000, codecs: 'avc1.42c01e,mp4a.40.2', resolution: { width: 640, height: 360 } };

  it('holds the master while one rendition lacks the CODECS/RESOLUTION the others have, and serves it complete once known', () => {
    // ffmpeg can list a rendition's first segment before it writes master.m3u8.
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0, rendition: 'hi', variant: hiVariant }));
    h.apply(segmentMsg({ sequence: 0, rendition: 'lo' }));
    assert.doesNotMatch(h.core.masterPlaylist('demo')?.text ?? '', /lo\.m3u8/, 'no master that lists a variant undescribed (the one before it stays)');
    h.now += 2000;
    const update = h.apply(segmentMsg({ sequence: 1, rendition: 'lo', variant: loVariant }));
    assert.ok(update.master);
    assert.match(update.master.text, /CODECS="avc1\.64001f,mp4a\.40\.2",RESOLUTION=1280x720\nhi\.m3u8/);
    assert.match(update.master.text, /CODECS="avc1\.42c01e,mp4a\.40\.2",RESOLUTION=640x360\nlo\.m3u8/);
  });

  it('serves it anyway after 2 target durations (an encoder that never describes a variant)', () => {
    const h = new Harness();
    h.apply(segmentMsg({ sequence: 0, rendition: 'hi', variant: hiVariant }));
    h.apply(segmentMsg({ sequence: 0, rendition: 'lo' }));
    h.now += 3999;
    assert.deepEqual(h.core.endDue(), []);
    h.now += 1;
    const [update] = h.core.endDue();
    assert.ok(update?.master, 'released by the once-a-second tick');
    assert.match(update.master.text, /\nlo\.m3u8\n/);
  });
});

describe('manifest core: the first master waits for every rendition hls-watch follows', () => {
  // Found by a real three-rendition ffmpeg (test/e2e/ffmpeg-live.spec.ts): the first master listed
  // only the rendition whose first segment came first; players load the master once.
  const ladder = ['hi', 'mid', 'lo'];
  const hiVariant = { bandwidth: 2_000_000, codecs: 'avc1.64001f', resolution: { width: 1280, height: 720 } };
  const loVariant = { bandwidth: 500_000, codecs: 'avc1.42c01e', resolution: { width: 640, height: 360 } };
  const withLayout = (rendition: string, sequence: number, variant = hiVariant) => {
    const m = segmentMsg({ sequence, rendition, variant });
    m.segment.renditions = ladder;
    return m;
  };

  it('holds the master until each followed rendition has a segment, then lists them all', () => {
    const h = new Harness();
    assert.equal(h.apply(withLayout('hi', 0)).master, undefined, 'mid and lo are followed but have no segment yet');
    assert.equal(h.apply(withLayout('mid', 0, loVariant)).master, undefined);
    assert.equal(h.core.masterPlaylist('demo'), undefined, 'no master served meanwhile');
    const update = h.apply(withLayout('lo', 0, loVariant));
    assert.ok(update.master);
    for (const r of ladder) assert.match(update.master.text, new RegExp(`\n${r}\\.m3u8\n`));
  });

  it('serves what it has after 2 target durations when a followed rendition never delivers; a malformed hint is ignored', () => {
    const h = new Harness();
    h.apply(withLayout('hi', 0));
    h.now += 3999;
    assert.deepEqual(h.core.endDue(), []);
    h.now += 1;
    const [update] = h.core.endDue();
    assert.match(update!.master!.text, /\nhi\.m3u8\n/);
    const other = new Harness();
    const bad = segmentMsg({ sequence: 0, rendition: 'hi', variant: hiVariant });
    (bad.segment as unknown as { renditions: unknown }).renditions = ['hi', '../x'];
    assert.ok(other.apply(bad).master, 'a hint that is not a list of ids does not hold the master');
  });
});

describe('manifest core: segments hls-watch sends again after a restart', () => {
  it('ignores quietly a redelivered segment it already handled, lists one it never got, and still refuses other repeats', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.apply(segmentMsg({ sequence: i }));
    const again = (sequence: number) => {
      const m = segmentMsg({ sequence });
      m.segment.redelivered = true;
      return m;
    };
    const before = h.text();
    assert.deepEqual(h.apply(again(2)).media, [], 'already listed: no new version, no error');
    assert.deepEqual(h.apply(again(1)).media, []);
    assert.equal(h.text(), before);
    const update = h.apply(again(3));
    assert.equal(update.media.length, 1, 'never got it: listed');
    expectCode(() => h.apply(segmentMsg({ sequence: 3 })), 'E_MANIFEST_DUPLICATE');
  });

  it('after a partial deploy, leaves unlisted a first copy that skips sequences its deliverer will send again, and lists it when it comes, in order', () => {
    const asked: unknown[] = [];
    let willResend = true;
    const h = new Harness({
      resendRequest: (stream, request) => {
        asked.push({ stream, ...request });
        return willResend;
      },
    });
    for (let i = 0; i < 2; i++) h.apply(segmentMsg({ sequence: i }));
    const again = (m: ReturnType<typeof segmentMsg>) => {
      m.segment.redelivered = true;
      return m;
    };
    // 2 was dropped while manifest (or r2-upload) restarted; 3 overtook its resend.
    const before = h.text();
    const overtaking = h.apply(segmentMsg({ sequence: 3 }));
    assert.equal(overtaking.comesAgain, true, 'not handled: must not be confirmed');
    assert.deepEqual(overtaking.media, []);
    assert.equal(h.text(), before, 'nothing listed');
    assert.equal(h.apply(gapMsg({ sequence: 4 })).comesAgain, true, 'a gap that skips is held back the same way');
    assert.deepEqual(asked, [
      { stream: 'demo', rendition: 'main', session: 's1', sequence: 3 },
      { stream: 'demo', rendition: 'main', session: 's1', sequence: 4 },
    ]);
    for (const i of [2, 3]) assert.equal(h.apply(again(segmentMsg({ sequence: i }))).media.length, 1, `resent ${i}: listed`);
    assert.deepEqual(
      parseMediaPlaylist(h.text()).segments.map((s) => s.uri),
      [0, 1, 2, 3].map((i) => segmentMsg({ sequence: i }).segment.url),
    );
    assert.equal(asked.length, 2, 'a copy in order, or one sent again, is never held back');
    // Nobody will send 6 again (another producer, or it left the encoder's playlist): listed at once, after a discontinuity.
    willResend = false;
    const listed = h.apply(segmentMsg({ sequence: 6 }));
    assert.equal(listed.comesAgain, undefined);
    assert.match(h.text(), /#EXT-X-DISCONTINUITY\n(#[^\n]*\n)*#EXTINF[^\n]*\n[^\n]*6/);
  });
});
