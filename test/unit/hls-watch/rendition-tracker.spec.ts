import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GapMsg, LifecycleMsg, SegmentMsg } from '../../../lib/protocol/msgs';
import type { RelaycastError } from '../../../lib/errors';
import { MediaFiles } from '../../../lib/hls-watch/media-files';
import { freshRenditionState, RenditionTracker, type WatchMsg } from '../../../lib/hls-watch/rendition-tracker';
import type { RenditionState } from '../../../lib/hls-watch/state-store';
import { until } from '../../support/until';
import { mediaPlaylist, segmentBytes, tempDir, tempDirPerTest, writeAtomically, type Entry } from './helpers';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** One rendition in a temp folder, driven by hand-written playlists. */
class Harness {
  readonly msgs: WatchMsg[] = [];
  readonly errors: { err: RelaycastError; msg?: WatchMsg }[] = [];
  readonly files: MediaFiles;
  readonly tracker: RenditionTracker;
  readonly playlist: string;
  private sessions = 0;
  session = 's1';
  closed = false;

  constructor(
    readonly dir: string,
    state?: RenditionState,
    segmentWaitMs = 80,
  ) {
    this.playlist = path.join(dir, 'index.m3u8');
    this.files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs, pollMs: 5, settleMs: 5 });
    this.tracker = new RenditionTracker(
      {
        stream: 'cam',
        rendition: 'main',
        playlistPath: this.playlist,
        maxPlaylistBytes: 1 << 20,
        root: dir,
        files: this.files,
        currentSession: () => this.session,
        sessionAfter: () => (this.session = `s${++this.sessions + 1}`),
        emit: (msg) => this.msgs.push(msg),
        error: (err, msg) => this.errors.push({ err, msg }),
        recovered: () => undefined,
        changed: () => undefined,
        journal: async () => undefined,
        layoutChanged: () => undefined,
        isClosed: () => this.closed,
      },
      state ?? freshRenditionState('s1'),
    );
  }

  segment(name: string, size = 4096): Buffer {
    const bytes = segmentBytes(name, size);
    writeFileSync(path.join(this.dir, name), bytes);
    return bytes;
  }

  async publish(sequence: number, entries: Entry[], extra: { ended?: boolean; map?: string } = {}): Promise<void> {
    writeAtomically(this.playlist, mediaPlaylist({ sequence, entries, ...extra }));
    await this.tracker.trigger();
  }

  segments(): SegmentMsg[] {
    return this.msgs.filter((m): m is SegmentMsg => m.topic === 'segment');
  }

  topics(): string[] {
    return this.msgs.map((m) => (m.topic === 'lifecycle' ? `lifecycle:${m.payload.event}` : m.topic));
  }
}

const e = (uri: string, duration = 2, extra: Partial<Entry> = {}): Entry => ({ uri, duration, ...extra });

describe('hls-watch rendition tracking', () => {
  const tmp = tempDirPerTest();

  it('refuses a listed segment the contract does not allow (EXTINF:0) with a code, and marks the break with a discontinuity', async () => {
    const h = new Harness(tmp.dir);
    h.segment('seg_00000.ts');
    h.segment('seg_00001.ts');
    h.segment('seg_00002.ts');
    await h.publish(0, [e('seg_00000.ts', 2), e('seg_00001.ts', 0), e('seg_00002.ts', 2)]);
    assert.deepEqual(
      h.segments().map((m) => [m.segment.uri, m.segment.sequence, m.segment.discontinuity]),
      [
        ['seg_00000.ts', 0, false],
        ['seg_00002.ts', 1, true],
      ],
    );
    assert.deepEqual(
      h.errors.map((x) => x.err.code),
      ['E_SEGMENT_BAD_DURATION'],
    );
  });

  it('emits started, then each listed segment once, in order, with exact durations, bytes and SHA-256', async () => {
    const h = new Harness(tmp.dir);
    const a = h.segment('seg_00000.ts');
    await h.publish(0, [e('seg_00000.ts', 2.002, { pdt: '2026-11-23T09:37:27.302+0000' })]);
    const b = h.segment('seg_00001.ts');
    await h.publish(0, [e('seg_00000.ts', 2.002), e('seg_00001.ts', 1.968)]);
    await h.publish(0, [e('seg_00000.ts', 2.002), e('seg_00001.ts', 1.968)]); // same playlist again: nothing new
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment', 'segment']);
    const [s0, s1] = h.segments();
    assert.ok(s0.payload.equals(a) && s1.payload.equals(b));
    assert.deepEqual(s0.segment, {
      stream: 'cam',
      rendition: 'main',
      session: 's1',
      encoderSequence: 0,
      sequence: 0,
      duration: 2.002,
      targetDuration: 2,
      uri: 'seg_00000.ts',
      path: path.join(tmp.dir, 'seg_00000.ts'),
      contentType: 'video/mp2t',
      byteLength: a.length,
      sha256: sha(a),
      discontinuity: false,
      programDateTime: '2026-11-23T09:37:27.302Z',
    });
    assert.equal(s1.segment.sequence, 1);
    assert.equal(s1.segment.encoderSequence, 1);
    assert.equal(s1.segment.duration, 1.968);
    assert.equal((h.msgs[0] as LifecycleMsg).payload.sequence, 0);
  });

  it('catches up on several segments listed at once, in playlist order', async () => {
    const h = new Harness(tmp.dir);
    const names = ['a.ts', 'b.ts', 'c.ts', 'd.ts'];
    names.forEach((n) => h.segment(n));
    await h.publish(
      7,
      names.map((n) => e(n)),
    );
    assert.deepEqual(
      h.segments().map((s) => [s.segment.uri, s.segment.encoderSequence, s.segment.sequence]),
      [
        ['a.ts', 7, 0],
        ['b.ts', 8, 1],
        ['c.ts', 9, 2],
        ['d.ts', 10, 3],
      ],
    );
  });

  it('carries EXT-X-DISCONTINUITY onto the segment and the fMP4 init section onto every msg', async () => {
    const h = new Harness(tmp.dir);
    const init = h.segment('init.mp4', 1356);
    h.segment('a.m4s');
    h.segment('b.m4s');
    await h.publish(0, [e('a.m4s'), e('b.m4s', 2, { discontinuity: true })], { map: 'init.mp4' });
    const [a, b] = h.segments();
    assert.equal(a.segment.discontinuity, false);
    assert.equal(b.segment.discontinuity, true);
    assert.equal(a.segment.contentType, 'video/iso.segment');
    for (const s of [a, b]) {
      assert.ok(s.init && s.init.bytes.equals(init));
      assert.deepEqual(
        { ...s.init, bytes: undefined },
        { uri: 'init.mp4', path: path.join(tmp.dir, 'init.mp4'), bytes: undefined, byteLength: 1356, sha256: sha(init), contentType: 'video/mp4' },
      );
    }
  });

  it('EXT-X-ENDLIST → ended (once), carrying the last sequence', async () => {
    const h = new Harness(tmp.dir);
    h.segment('a.ts');
    h.segment('b.ts');
    await h.publish(0, [e('a.ts'), e('b.ts', 0.033)], { ended: true });
    await h.tracker.trigger();
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment', 'segment', 'lifecycle:ended']);
    const ended = h.msgs[3] as LifecycleMsg;
    assert.equal(ended.payload.sequence, 1);
  });

  it('restart (media sequence back to 0, same file names rewritten) → new session, restarted, discontinuity, sequence keeps rising', async () => {
    const h = new Harness(tmp.dir);
    h.segment('seg_00000.ts');
    h.segment('seg_00001.ts');
    await h.publish(0, [e('seg_00000.ts'), e('seg_00001.ts')]);
    const fresh = h.segment('seg_00000.ts', 5000); // the restarted encoder overwrites its first name
    await h.publish(0, [e('seg_00000.ts', 1.5)]);
    h.segment('seg_00001.ts', 5000);
    await h.publish(0, [e('seg_00000.ts', 1.5), e('seg_00001.ts')]);
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment', 'segment', 'lifecycle:restarted', 'segment', 'segment']);
    const segs = h.segments();
    assert.deepEqual(
      segs.map((s) => s.segment.sequence),
      [0, 1, 2, 3],
    );
    assert.deepEqual(
      segs.map((s) => s.segment.encoderSequence),
      [0, 1, 0, 1],
    );
    assert.deepEqual(
      segs.map((s) => s.segment.discontinuity),
      [false, false, true, false],
    );
    assert.deepEqual(
      segs.map((s) => s.segment.session),
      ['s1', 's1', 's2', 's2'],
    );
    assert.ok(segs[2].payload.equals(fresh));
    const restarted = h.msgs[3] as LifecycleMsg;
    assert.deepEqual(restarted.payload, { event: 'restarted', stream: 'cam', rendition: 'main', session: 's2', sequence: 2 });
  });

  it('restart detected when the same sequence lists a different URI (Owncast: new random id per session)', async () => {
    const h = new Harness(tmp.dir);
    h.segment('stream-A-0.ts');
    h.segment('stream-A-1.ts');
    await h.publish(0, [e('stream-A-0.ts'), e('stream-A-1.ts')]);
    h.segment('stream-B-0.ts');
    h.segment('stream-B-1.ts');
    h.segment('stream-B-2.ts');
    await h.publish(0, [e('stream-B-0.ts'), e('stream-B-1.ts'), e('stream-B-2.ts')]);
    assert.deepEqual(
      h.segments().map((s) => [s.segment.uri, s.segment.sequence, s.segment.discontinuity]),
      [
        ['stream-A-0.ts', 0, false],
        ['stream-A-1.ts', 1, false],
        ['stream-B-0.ts', 2, true],
        ['stream-B-1.ts', 3, false],
        ['stream-B-2.ts', 4, false],
      ],
    );
  });

  it('restart detected when the sequence is the same but the bytes on disk were rewritten', async () => {
    const h = new Harness(tmp.dir);
    h.segment('seg_00000.ts');
    h.segment('seg_00001.ts');
    await h.publish(0, [e('seg_00000.ts'), e('seg_00001.ts')]);
    // Restarted encoder got as far as sequence 2 before we looked again.
    h.segment('seg_00000.ts', 3000);
    h.segment('seg_00001.ts', 3000);
    h.segment('seg_00002.ts', 3000);
    await h.publish(0, [e('seg_00000.ts'), e('seg_00001.ts'), e('seg_00002.ts')]);
    assert.deepEqual(
      h.segments().map((s) => [s.segment.encoderSequence, s.segment.sequence, s.segment.session]),
      [
        [0, 0, 's1'],
        [1, 1, 's1'],
        [0, 2, 's2'],
        [1, 3, 's2'],
        [2, 4, 's2'],
      ],
    );
  });

  it('a new playlist after EXT-X-ENDLIST is a restart', async () => {
    const h = new Harness(tmp.dir);
    h.segment('a.ts');
    await h.publish(0, [e('a.ts')], { ended: true });
    h.segment('b.ts');
    await h.publish(0, [e('b.ts')]);
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment', 'lifecycle:ended', 'lifecycle:restarted', 'segment']);
    assert.equal(h.segments()[1].segment.discontinuity, true);
    assert.equal(h.segments()[1].segment.sequence, 1);
  });

  it('a listed segment that never appears → E_SEGMENT_LOST error with a gap msg, and the next segment is a discontinuity', async () => {
    const h = new Harness(tmp.dir);
    h.segment('a.ts');
    h.segment('c.ts');
    await h.publish(0, [e('a.ts'), e('b.ts', 1.9), e('c.ts')]);
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment', 'gap', 'segment']);
    const gap = h.msgs[2] as GapMsg;
    assert.equal(gap.payload.reason, 'segment-lost');
    assert.equal(gap.payload.code, 'E_SEGMENT_LOST');
    assert.deepEqual([gap.segment.uri, gap.segment.encoderSequence, gap.segment.sequence, gap.segment.duration], ['b.ts', 1, 1, 1.9]);
    assert.equal(h.errors.length, 1);
    assert.equal(h.errors[0].err.code, 'E_SEGMENT_LOST');
    assert.equal(h.errors[0].msg, gap);
    const c = h.segments()[1];
    assert.equal(c.segment.sequence, 2);
    assert.equal(c.segment.discontinuity, true);
  });

  it('a listed segment that is too large or a symlink outside becomes a gap with its own code', async () => {
    const outside = tempDir('hls-watch-outside-');
    try {
      const h = new Harness(tmp.dir);
      writeFileSync(path.join(tmp.dir, 'huge.ts'), Buffer.alloc(2 << 20));
      writeFileSync(path.join(outside.dir, 'x.ts'), 'x');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('node:fs').symlinkSync(path.join(outside.dir, 'x.ts'), path.join(tmp.dir, 'link.ts'));
      h.segment('ok.ts');
      await h.publish(0, [e('huge.ts'), e('link.ts'), e('../escape.ts'), e('ok.ts')]);
      assert.deepEqual(h.topics(), ['lifecycle:started', 'gap', 'gap', 'gap', 'segment']);
      assert.deepEqual(
        h.errors.map((x) => x.err.code),
        ['E_SEGMENT_TOO_LARGE', 'E_PATH_OUTSIDE', 'E_PATH_OUTSIDE'],
      );
      assert.equal(h.segments()[0].segment.sequence, 3);
    } finally {
      outside.cleanup();
    }
  });

  it('segments that left the window unseen → E_SEGMENTS_MISSED and a discontinuity, no invented gap msgs', async () => {
    const h = new Harness(tmp.dir);
    h.segment('s0.ts');
    await h.publish(0, [e('s0.ts')]);
    h.segment('s5.ts');
    await h.publish(5, [e('s5.ts')]);
    assert.deepEqual(
      h.errors.map((x) => x.err.code),
      ['E_SEGMENTS_MISSED'],
    );
    const s5 = h.segments()[1];
    assert.deepEqual([s5.segment.encoderSequence, s5.segment.sequence, s5.segment.discontinuity], [5, 1, true]);
  });

  it('resumes from saved state: nothing emitted twice, nothing still listed is lost', async () => {
    const first = new Harness(tmp.dir);
    ['a.ts', 'b.ts', 'c.ts'].forEach((n) => first.segment(n));
    await first.publish(0, [e('a.ts'), e('b.ts')]);
    const saved = JSON.parse(JSON.stringify(first.tracker.state)) as RenditionState;
    // "Node-RED restarts"; meanwhile the encoder listed c.ts and deleted a.ts.
    unlinkSync(path.join(tmp.dir, 'a.ts'));
    writeAtomically(path.join(tmp.dir, 'index.m3u8'), mediaPlaylist({ sequence: 1, entries: [e('b.ts'), e('c.ts')] }));
    const second = new Harness(tmp.dir, saved);
    await second.tracker.trigger();
    assert.deepEqual(second.topics(), ['segment']);
    assert.deepEqual([second.segments()[0].segment.uri, second.segments()[0].segment.sequence, second.segments()[0].segment.session], ['c.ts', 2, 's1']);
    assert.equal(second.errors.length, 0);
  });

  it('a malformed playlist is re-read once (torn write) and reported once; the good next version recovers', async () => {
    const h = new Harness(tmp.dir);
    writeFileSync(h.playlist, 'this is junk\n');
    await h.tracker.trigger();
    assert.equal(h.errors.length, 0, 'not reported on first sight');
    // No further trigger from here: only the tracker's own re-read timer can find the same junk
    // again and report it, so this times out if that timer never fires.
    await until(() => h.errors.length > 0, 'the re-read timer to report the malformed playlist');
    await h.tracker.whenIdle();
    assert.deepEqual(
      h.errors.map((x) => x.err.code),
      ['E_PLAYLIST_MALFORMED'],
    );
    h.segment('a.ts');
    await h.publish(0, [e('a.ts')]);
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment']);
    h.tracker.cancelTimers();
  });

  it('an enormous junk file in place of the playlist → E_PLAYLIST_TOO_LARGE, reported once', async () => {
    const h = new Harness(tmp.dir);
    writeFileSync(h.playlist, Buffer.alloc(3 << 20, 0x20));
    await h.tracker.trigger();
    await h.tracker.trigger();
    assert.deepEqual(
      h.errors.map((x) => x.err.code),
      ['E_PLAYLIST_TOO_LARGE'],
    );
  });

  it('close mid-wait stops without emitting and without advancing state', async () => {
    const h = new Harness(tmp.dir, undefined, 5000);
    h.segment('a.ts');
    const pass = h.publish(0, [e('a.ts'), e('late.ts')]);
    // Close only once a.ts is out, i.e. while the tracker waits for late.ts (a fixed delay raced
    // against a loaded machine reading a.ts).
    await until(() => h.topics().includes('segment'), 'a.ts to be emitted', 2000);
    h.closed = true;
    h.files.close();
    await pass;
    assert.deepEqual(h.topics(), ['lifecycle:started', 'segment']);
    assert.equal(h.tracker.state.lastEncoderSequence, 0);
    assert.equal(h.tracker.state.nextSequence, 1);
  });
});
