// The incremental media playlist (lib/manifest/media-body.ts) writes only what was appended since
// the last version, and the master's bandwidth (BandwidthMeter) adds only the appended entries.
// Each version must be byte for byte what a full render of the same state gives
// (renderMediaPlaylist), with the same ETag as hashing that text at once, and the master must carry
// the bandwidth measured over all entries at once (measureBandwidth), over random
// runs of segments, gaps, init changes, restarts, ends (grace, idle, at once), new presentations,
// restores and sliding windows.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManifestCore, type ManifestOptions, type ManifestUpdate, type RenditionState } from '../../../lib/manifest';
import { roundUpSignificant } from '../../../lib/manifest/bandwidth';
import { etagOf } from '../../../lib/manifest/etag';
import { MediaBody } from '../../../lib/manifest/media-body';
import { renderMediaPlaylist } from '../../../lib/manifest/media-renderer';
import { ListedUrls } from '../../../lib/manifest/rendition';
import { gapMsg, lifecycleMsg, segmentMsg } from '../../support/manifest-msgs';

type Step =
  | { kind: 'segment'; rendition: string; duration: number; init: number; fmp4: boolean; bytes: number }
  | { kind: 'gap'; rendition: string }
  | { kind: 'restart' | 'end' | 'idle' | 'due' | 'restore'; rendition: string };

const renditionArb = fc.constantFrom('a', 'b');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('segment' as const),
      rendition: renditionArb,
      duration: fc.constantFrom(1.5, 2, 1.966),
      init: fc.integer({ min: 0, max: 2 }),
      fmp4: fc.boolean(),
      bytes: fc.integer({ min: 1000, max: 2_000_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('gap' as const), rendition: renditionArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('restart' as const, 'end' as const, 'idle' as const, 'due' as const, 'restore' as const),
      rendition: renditionArb,
    }),
  },
);

/** The spec's own measure of a whole window: peak segment bit rate, and bits over seconds. */
function bandwidthAtOnce(entries: RenditionState['entries']): { peak: number; average: number } | undefined {
  const measured = entries.filter((e) => !e.gap && e.byteLength !== undefined && e.duration > 0);
  if (measured.length === 0) return undefined;
  const peak = Math.max(...measured.map((e) => (e.byteLength! * 8) / e.duration));
  let bits = 0;
  let seconds = 0;
  for (const e of measured) {
    bits += e.byteLength! * 8;
    seconds += e.duration;
  }
  return { peak: roundUpSignificant(peak), average: roundUpSignificant(bits / seconds) };
}

/** Plays the steps on one core and checks every version it publishes against a full render. */
function play(options: Partial<ManifestOptions>, steps: Step[]): number {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  let core = new ManifestCore({ clock: () => now, ...options });
  const sequence = new Map<string, number>();
  const session = new Map<string, number>();
  let checked = 0;
  const check = (update: ManifestUpdate): void => {
    const states = new Map(core.snapshot().streams.flatMap((s) => s.renditions.map((r) => [r.rendition, { r, td: s.targetDuration! }] as const)));
    for (const media of update.media) {
      const { r, td } = states.get(media.rendition!)!;
      if (media.presentation !== r.presentation) continue; // a finished presentation, served as it was
      assert.equal(media.text, renderMediaPlaylist(r, td, core.options.blockingReload), 'the same bytes as a full render');
      assert.equal(media.etag, etagOf(media.text), 'the same ETag as hashing the whole text');
      assert.equal(core.mediaPlaylist('demo', media.rendition!)!.text, media.text, 'and served as published');
      checked += 1;
    }
    if (update.master) {
      // Each variant's BANDWIDTH / AVERAGE-BANDWIDTH as measured over all of its entries at once.
      const lines = update.master.text.split('\n');
      for (const [i, line] of lines.entries()) {
        if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
        const { r } = states.get(lines[i + 1]!.split('.m3u8')[0]!)!;
        const measured = bandwidthAtOnce(r.entries);
        assert.equal(/BANDWIDTH=(\d+)/.exec(line)?.[1], String(measured?.peak ?? r.variant?.bandwidth ?? 1), line);
        assert.equal(/AVERAGE-BANDWIDTH=(\d+)/.exec(line)?.[1], measured ? String(Math.min(measured.average, measured.peak)) : undefined, line);
        checked += 1;
      }
    }
  };
  for (const step of steps) {
    now += 2000;
    const id = step.rendition;
    const s = `s${session.get(id) ?? 0}`;
    const next = sequence.get(id) ?? 0;
    try {
      switch (step.kind) {
        case 'segment':
          sequence.set(id, next + 1);
          check(
            core.apply(
              segmentMsg({
                rendition: id,
                session: s,
                sequence: next,
                duration: step.duration,
                byteLength: step.bytes,
                fmp4: step.fmp4,
                initName: `init-${step.init}.mp4`,
              }),
            ),
          );
          break;
        case 'gap':
          sequence.set(id, next + 1);
          check(core.apply(gapMsg({ rendition: id, session: s, sequence: next })));
          break;
        case 'restart':
          session.set(id, (session.get(id) ?? 0) + 1);
          sequence.set(id, 0);
          check(core.apply(lifecycleMsg('started', { rendition: id, session: `s${session.get(id)}` })));
          break;
        case 'end':
          check(core.apply(lifecycleMsg('ended', { rendition: id, session: s, sequence: next })));
          break;
        case 'idle':
          for (const update of core.endIdle(1000)) check(update);
          break;
        case 'due':
          now += 60_000;
          for (const update of core.endDue()) check(update);
          break;
        case 'restore': {
          // A redeploy: a new core from the snapshot, whose bodies start empty.
          const snapshot = JSON.parse(JSON.stringify(core.snapshot())) as unknown;
          core = new ManifestCore({ clock: () => now, ...options });
          core.restore(snapshot);
          break;
        }
      }
    } catch (err) {
      // Refusals (a segment of an ended session, …) are the core's rules, not this spec's subject.
      if (!(err as { code?: string }).code?.startsWith('E_MANIFEST_')) throw err;
    }
  }
  return checked;
}

describe('manifest core: incremental media playlists (DVR written once, appended to)', () => {
  for (const [name, options] of [
    ['DVR', { dvr: true, endGraceSeconds: 4 }],
    ['DVR with blocking reload, ENDLIST at once', { dvr: true, blockingReload: true, endGraceSeconds: 0 }],
    ['sliding window', { windowSegments: 3 }],
  ] as Array<[string, Partial<ManifestOptions>]>) {
    it(`${name}: every version is byte for byte a full render of the same state, with its ETag`, () => {
      let checked = 0;
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 20, maxLength: 80, size: 'max' }), (steps) => {
          checked += play(options, steps);
        }),
        { numRuns: 40, seed: 14 },
      );
      assert.ok(checked > 1000, `only ${checked} versions checked`);
    });
  }

  it("a long DVR history: appending the 5,001st segment gives the full render's bytes", () => {
    const core = new ManifestCore({ dvr: true });
    for (let i = 0; i < 5000; i++) core.apply(segmentMsg({ sequence: i, fmp4: true, discontinuity: i % 700 === 0 }));
    const update = core.apply(segmentMsg({ sequence: 5000, fmp4: true, initName: 'init-2.mp4' }));
    const r = core.snapshot().streams[0].renditions[0] as RenditionState;
    assert.equal(r.entries.length, 5001);
    assert.equal(update.media[0].text, renderMediaPlaylist(r, 2));
    assert.equal(update.media[0].etag, etagOf(update.media[0].text));
  });

  it('the URLs the duplicate check knows: appended ones at once, none that left a sliding window', () => {
    const entry = (msn: number, gap = false) => ({
      msn,
      url: `https://media.example.test/${msn}.ts`,
      duration: 2,
      discontinuity: false,
      gap,
      programDateTime: '2026-01-01T00:00:00.000Z',
      session: 's1',
      sourceSequence: msn,
    });
    const listed = new ListedUrls();
    const entries = [entry(0), entry(1)];
    assert.equal(listed.has(entries, entries[1]!.url), true);
    entries.push(entry(2), entry(3, true));
    assert.equal(listed.has(entries, entries[2]!.url), true, 'appended since the last call');
    assert.equal(listed.has(entries, entries[3]!.url), false, 'a gap is not a listed segment');
    entries.shift();
    assert.equal(listed.has(entries, entry(0).url), false, 'left the window');
    assert.equal(listed.has(entries, entry(2).url), true);
  });

  it('writes each entry once: a body that is only appended to renders no earlier entry again', () => {
    const r = {
      stream: 'demo',
      rendition: 'main',
      entries: [] as RenditionState['entries'],
      nextMsn: 0,
      discontinuitySequence: 0,
      ended: false,
      version: 3,
      pendingDiscontinuity: false,
      pastSessions: [],
      order: 0,
      presentation: 0,
    } satisfies RenditionState;
    const body = new MediaBody();
    const reads = new Map<number, number>();
    for (let msn = 0; msn < 50; msn++) {
      const entry = {
        msn,
        url: `https://media.example.test/${msn}.ts`,
        duration: 2,
        discontinuity: false,
        gap: false,
        programDateTime: new Date(msn * 2000).toISOString(),
        session: 's1',
        sourceSequence: msn,
      };
      // Count every read of an entry's URL: a full render would read all of them each time.
      r.entries.push(
        Object.defineProperty(entry, 'url', {
          get: () => {
            reads.set(msn, (reads.get(msn) ?? 0) + 1);
            return `https://media.example.test/${msn}.ts`;
          },
          enumerable: true,
        }),
      );
      const version = body.render(r, 2, false);
      assert.equal(version.text, renderMediaPlaylist(r, 2), `version ${msn}`);
    }
    // renderMediaPlaylist above reads each URL once per version; the body reads it once in all.
    for (const [msn, count] of reads) assert.equal(count - (50 - msn), 1, `entry ${msn} written ${count - (50 - msn)} times by the body`);
  });
});
