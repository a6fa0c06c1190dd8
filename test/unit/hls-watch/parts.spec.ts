// hls-watch and an encoder's LL-HLS parts (EXT-X-PART, as lib/ll-hls's packager writes them): each
// part goes out once as a 'part' msg, before the segment it belongs to and with that segment's
// Relaycast sequence; a part that cannot be read is skipped without a gap (its segment follows).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PartMsg, SegmentMsg } from '../../../lib/protocol/msgs';
import type { RelaycastError } from '../../../lib/errors';
import { MediaFiles } from '../../../lib/hls-watch/media-files';
import { parsePlaylist } from '../../../lib/hls-watch/playlist';
import { freshRenditionState, RenditionTracker, type WatchMsg } from '../../../lib/hls-watch/rendition-tracker';
import { renderEncoderPlaylist } from '../../../lib/ll-hls/encoder-playlist';
import type { PartFile } from '../../../lib/ll-hls/part-packager';
import { segmentBytes, tempDirPerTest, writeAtomically } from './helpers';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const part = (n: number, independent = n % 3 === 0): PartFile => ({ uri: `part_${n}.ts`, duration: 1 / 3, independent });

class Harness {
  readonly msgs: WatchMsg[] = [];
  readonly errors: RelaycastError[] = [];
  readonly tracker: RenditionTracker;

  constructor(readonly dir: string) {
    const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 80, pollMs: 5, settleMs: 5 });
    this.tracker = new RenditionTracker(
      {
        stream: 'cam',
        rendition: 'main',
        playlistPath: path.join(dir, 'index.m3u8'),
        maxPlaylistBytes: 1 << 20,
        root: dir,
        files,
        currentSession: () => 's1',
        sessionAfter: () => 's2',
        emit: (msg) => this.msgs.push(msg),
        error: (err) => this.errors.push(err),
        recovered: () => undefined,
        changed: () => undefined,
        journal: async () => undefined,
        layoutChanged: () => undefined,
        isClosed: () => false,
      },
      freshRenditionState('s1'),
    );
  }

  file(name: string): Buffer {
    const bytes = segmentBytes(name, 1024);
    writeFileSync(path.join(this.dir, name), bytes);
    return bytes;
  }

  /** Whole segments `seg_<n>.ts` of parts 3n..3n+2, then the open parts. */
  async publish(segments: number[], open: PartFile[]): Promise<void> {
    const text = renderEncoderPlaylist({
      mediaSequence: segments[0] ?? 0,
      targetDuration: 1,
      partTarget: 1 / 3,
      segments: segments.map((n) => ({ uri: `seg_${n}.ts`, duration: 1, parts: [part(3 * n), part(3 * n + 1), part(3 * n + 2)] })),
      open,
      partsListedSegments: 2,
      ended: false,
    });
    writeAtomically(path.join(this.dir, 'index.m3u8'), text);
    await this.tracker.trigger();
  }

  sent(): string[] {
    return this.msgs.flatMap((m) =>
      m.topic === 'part'
        ? [`part ${m.part.sequence}.${m.part.index} ${m.part.uri}`]
        : m.topic === 'segment'
          ? [`segment ${m.segment.sequence} ${m.segment.uri}`]
          : [],
    );
  }
}

describe('hls-watch: LL-HLS parts', () => {
  const tmp = tempDirPerTest();

  it('reads the parts of each segment and of the one in progress, leaving out a preload hint and byte-range parts', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-PART-INF:PART-TARGET=0.5',
      '#EXT-X-MEDIA-SEQUENCE:4',
      '#EXT-X-PART:DURATION=0.5,URI="a.ts",INDEPENDENT=YES',
      '#EXT-X-PART:DURATION=0.5,URI="b.ts"',
      '#EXTINF:1.0,',
      'seg4.ts',
      '#EXT-X-PART:DURATION=0.5,URI="whole.ts",BYTERANGE=1000@0,INDEPENDENT=YES',
      '#EXT-X-PART:DURATION=0.5,URI="whole.ts",BYTERANGE=1000@1000',
      '#EXTINF:1.0,',
      'seg5.ts',
      '#EXT-X-PART:DURATION=0.5,URI="c.ts",INDEPENDENT=YES',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="d.ts"',
      '',
    ].join('\n');
    const read = parsePlaylist(text);
    assert.equal(read.kind, 'media');
    if (read.kind !== 'media') return;
    assert.equal(read.partTarget, 0.5);
    assert.deepEqual(
      read.entries.map((e) => [e.sequence, e.uri, e.parts]),
      [
        [
          4,
          'seg4.ts',
          [
            { uri: 'a.ts', duration: 0.5, independent: true },
            { uri: 'b.ts', duration: 0.5, independent: false },
          ],
        ],
        [5, 'seg5.ts', []],
      ],
    );
    assert.deepEqual(read.open, { sequence: 6, parts: [{ uri: 'c.ts', duration: 0.5, independent: true }] });
    // Without EXT-X-PART-INF a playlist is plain HLS, as it always was.
    assert.equal(parsePlaylist(text.replace('#EXT-X-PART-INF:PART-TARGET=0.5\n', '').replace(/#EXT-X-P(ART|RELOAD)[^\n]*\n/g, '')).kind, 'media');
  });

  it('sends each part once as it is listed, before its segment, with the sequence that segment gets', async () => {
    const h = new Harness(tmp.dir);
    for (let n = 0; n < 6; n++) h.file(`part_${n}.ts`);
    h.file('seg_0.ts');
    const first = h.file('part_0.ts');
    await h.publish([], [part(0)]);
    await h.publish([], [part(0), part(1)]);
    await h.publish([], [part(0), part(1)]); // the same playlist again: nothing new
    await h.publish([0], [part(3)]);
    assert.deepEqual(h.sent(), ['part 0.0 part_0.ts', 'part 0.1 part_1.ts', 'part 0.2 part_2.ts', 'segment 0 seg_0.ts', 'part 1.0 part_3.ts']);
    const [p0] = h.msgs.filter((m): m is PartMsg => m.topic === 'part');
    assert.ok(p0.payload.equals(first));
    assert.deepEqual(p0.part, {
      stream: 'cam',
      rendition: 'main',
      session: 's1',
      sequence: 0,
      index: 0,
      // As written in the playlist (six places).
      duration: 0.333333,
      independent: true,
      partTarget: 0.333333,
      byteLength: 1024,
      sha256: sha(first),
      uri: 'part_0.ts',
      contentType: 'video/mp2t',
    });
    assert.deepEqual(h.errors, []);
  });

  it('skips a part it cannot read without a gap or an error: its whole segment still goes out', async () => {
    const h = new Harness(tmp.dir);
    h.file('part_0.ts');
    h.file('part_2.ts');
    h.file('seg_0.ts');
    await h.publish([0], []);
    assert.deepEqual(h.sent(), ['part 0.0 part_0.ts', 'part 0.2 part_2.ts', 'segment 0 seg_0.ts']);
    assert.deepEqual(
      h.msgs.filter((m) => m.topic === 'gap'),
      [],
    );
    assert.deepEqual(h.errors, []);
    assert.equal((h.msgs.find((m) => m.topic === 'segment') as SegmentMsg).segment.sequence, 0);
  });
});
