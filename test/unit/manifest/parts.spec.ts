// Manifest's LL-HLS parts (lib/manifest/parts.ts): part msgs listed as EXT-X-PART after the last
// segment, moved onto their segment when it arrives, a preload hint for the next one, PART-INF and
// SERVER-CONTROL with PART-HOLD-BACK, and the last part a blocking reload waits for. Every version
// passes the validator's RFC 8216 and LL-HLS rules.
import assert from 'node:assert/strict';
import { ManifestCore, type ManifestOptions, type ManifestUpdate } from '../../../lib/manifest';
import { RelaycastError } from '../../../lib/errors';
import { PlaylistHistory, formatViolations } from '../../../devtools/hls-validator';
import { PUBLIC_BASE, partMsg, segmentMsg } from '../../support/manifest-msgs';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const THIRD = 1 / 3;
const partUrl = (sequence: number, index: number) => `${PUBLIC_BASE}/demo/s1/main/seg-${String(sequence).padStart(8, '0')}.part${index}.ts`;

class Harness {
  now = T0;
  readonly core: ManifestCore;
  readonly history = new PlaylistHistory({ requireAbsoluteUris: true });
  readonly listed = new Set<string>();

  constructor(options: Partial<ManifestOptions> = {}) {
    this.core = new ManifestCore({
      clock: () => this.now,
      blockingReload: true,
      listings: { list: (key) => this.listed.add(key), unlist: (key) => this.listed.delete(key) },
      ...options,
    });
  }

  apply(msg: unknown): ManifestUpdate {
    const update = this.core.apply(msg);
    for (const media of update.media) {
      const violations = this.history.push(media.text);
      assert.deepEqual(violations, [], `${media.text}\n${formatViolations(violations)}`);
    }
    return update;
  }

  /** Segment `sequence` as its three parts, then the segment itself. */
  segment(sequence: number, parts = [0, 1, 2]): void {
    for (const index of parts) {
      this.apply(partMsg({ sequence, index }));
      this.now += 333;
    }
    this.apply(segmentMsg({ sequence, duration: 3 * THIRD, programDateTime: new Date(T0 + sequence * 1000).toISOString() }));
  }

  get text(): string {
    return this.core.mediaPlaylist('demo', 'main')!.text;
  }
}

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof RelaycastError && err.code === code);
}

describe('manifest core: LL-HLS parts', () => {
  it('renders the exact bytes of an LL-HLS live edge: parts of the last two segments and of the one in progress, then the hint', () => {
    const h = new Harness();
    for (let sequence = 0; sequence < 4; sequence++) h.segment(sequence);
    h.apply(partMsg({ sequence: 4, index: 0 }));
    h.apply(partMsg({ sequence: 4, index: 1 }));
    const pdt = (second: number) => `#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:0${second}.000Z`;
    const seg = (n: number) => `${PUBLIC_BASE}/demo/s1/main/seg_0000${n}.ts`;
    const part = (sequence: number, index: number) => `#EXT-X-PART:DURATION=0.333,URI="${partUrl(sequence, index)}"${index === 0 ? ',INDEPENDENT=YES' : ''}`;
    assert.equal(
      h.text,
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:1',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002',
        '#EXT-X-PART-INF:PART-TARGET=0.334',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXTINF:1.000,',
        pdt(0),
        seg(0),
        '#EXTINF:1.000,',
        pdt(1),
        seg(1),
        part(2, 0),
        part(2, 1),
        part(2, 2),
        '#EXTINF:1.000,',
        pdt(2),
        seg(2),
        part(3, 0),
        part(3, 1),
        part(3, 2),
        '#EXTINF:1.000,',
        pdt(3),
        seg(3),
        part(4, 0),
        part(4, 1),
        `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUrl(4, 2)}"`,
        '',
      ].join('\n'),
    );
    assert.deepEqual(h.core.mediaPlaylist('demo', 'main')!.lastPart, { msn: 4, index: 1 });
  });

  it('publishes a version per part; the hint names the next segment once the parts fill the target duration', () => {
    const h = new Harness();
    h.segment(0);
    const versions = h.history.versions.length;
    h.apply(partMsg({ sequence: 1, index: 0 }));
    assert.equal(h.history.versions.length, versions + 1);
    assert.match(h.text, new RegExp(`PRELOAD-HINT:TYPE=PART,URI="${partUrl(1, 1)}"`));
    h.apply(partMsg({ sequence: 1, index: 1 }));
    h.apply(partMsg({ sequence: 1, index: 2 }));
    assert.match(h.text, new RegExp(`PRELOAD-HINT:TYPE=PART,URI="${partUrl(2, 0)}"`));
    assert.deepEqual(h.core.mediaPlaylist('demo', 'main')!.lastPart, { msn: 1, index: 2 });
    h.apply(segmentMsg({ sequence: 1, duration: 1 }));
    assert.deepEqual(h.core.mediaPlaylist('demo', 'main')!.lastPart, { msn: 1, index: 2 });
    assert.match(h.text, new RegExp(`PRELOAD-HINT:TYPE=PART,URI="${partUrl(2, 0)}"`));
  });

  it('lists no parts of a segment one of whose parts was lost, and none after the hole', () => {
    const h = new Harness();
    h.segment(0);
    h.segment(1, [0, 2]);
    assert.doesNotMatch(h.text, /seg-00000001\.part/);
    h.segment(2);
    assert.match(h.text, /seg-00000002\.part2/);
  });

  it('lists no parts for a segment they do not add up to', () => {
    const h = new Harness();
    h.segment(0);
    h.apply(partMsg({ sequence: 1, index: 0 }));
    h.apply(segmentMsg({ sequence: 1, duration: 1 }));
    assert.doesNotMatch(h.text, /seg-00000001\.part/);
  });

  it('ignores parts of a segment already listed, and of another session', () => {
    const h = new Harness();
    h.segment(0);
    assert.deepEqual(h.apply(partMsg({ sequence: 0, index: 0 })).media, []);
    assert.deepEqual(h.apply(partMsg({ sequence: 1, index: 0, session: 's2' })).media, []);
  });

  it('refuses a part longer than the PART-TARGET with its code, and lists none of that segment', () => {
    const h = new Harness();
    h.segment(0);
    expectCode(() => h.apply(partMsg({ sequence: 1, index: 0, duration: 0.5 })), 'E_MANIFEST_PART_TOO_LONG');
    h.apply(partMsg({ sequence: 1, index: 1 }));
    assert.doesNotMatch(h.text, /seg-00000001\.part/);
  });

  it('says once that parts need blocking reload, then ignores them; the playlist stays plain HLS', () => {
    const h = new Harness({ blockingReload: false });
    h.apply(segmentMsg({ sequence: 0, duration: 1 }));
    const before = h.text;
    expectCode(() => h.apply(partMsg({ sequence: 1, index: 0 })), 'E_MANIFEST_PARTS_NEED_BLOCKING_RELOAD');
    assert.deepEqual(h.apply(partMsg({ sequence: 1, index: 1 })).media, []);
    assert.equal(h.text, before);
    assert.doesNotMatch(before, /PART|SERVER-CONTROL/);
  });

  it('reports the parts it lists to the listings, and lets them go with their segment', () => {
    const h = new Harness({ windowSegments: 3 });
    // The first segment lists no parts: they came before anything was listed.
    for (let sequence = 0; sequence < 3; sequence++) h.segment(sequence);
    assert.ok(!h.listed.has('demo/s1/main/seg-00000000.part0.ts'));
    assert.ok(h.listed.has('demo/s1/main/seg-00000001.part0.ts'));
    for (let sequence = 3; sequence < 6; sequence++) h.segment(sequence);
    assert.ok(!h.listed.has('demo/s1/main/seg-00000001.part0.ts'), 'a segment that left the window lets its parts go');
    assert.ok(h.listed.has('demo/s1/main/seg-00000005.part2.ts'));
  });

  it('restores the parts it listed: the same text after a restore', () => {
    const h = new Harness();
    h.segment(0);
    h.segment(1);
    h.apply(partMsg({ sequence: 2, index: 0 }));
    const restored = new ManifestCore({ clock: () => h.now, blockingReload: true });
    restored.restore(JSON.parse(JSON.stringify(h.core.snapshot())));
    // The PART-TARGET is fixed again by the next part; the parts themselves come back at once.
    restored.apply(partMsg({ sequence: 2, index: 1 }));
    h.apply(partMsg({ sequence: 2, index: 1 }));
    assert.equal(restored.mediaPlaylist('demo', 'main')!.text, h.text);
  });
});
