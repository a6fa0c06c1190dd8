// The watcher alone (no Node-RED) against the demo encoder: the wiring of chokidar events, layout
// discovery and the trackers. The full matrix of fixtures × write orders runs in test/nodes/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SegmentMsg } from '../../../lib/protocol/msgs';
import { HlsWatcher, type WatcherStatus } from '../../../lib/hls-watch/watcher';
import type { WatchMsg } from '../../../lib/hls-watch/rendition-tracker';
import { MemoryStateStore } from '../../../lib/hls-watch/state-store';
import { ManifestCore } from '../../../lib/manifest';
import { parseMediaPlaylist } from '../../../devtools/hls-validator';
import { DemoEncoder } from '../../../devtools/demo-encoder';
import { until } from '../../support/until';
import { mediaPlaylist, segmentBytes, tempDirPerTest, writeAtomically } from './helpers';

const FIXTURES = path.resolve(__dirname, '../../fixtures/hls');

describe('hls-watch watcher (core, demo encoder)', () => {
  const open: HlsWatcher[] = [];
  const tmp = tempDirPerTest({ beforeRemoval: () => Promise.all(open.splice(0).map((w) => w.close())) });

  function watch(target: string, store = new MemoryStateStore()): { watcher: HlsWatcher; msgs: WatchMsg[]; errors: string[]; statuses: WatcherStatus[] } {
    const msgs: WatchMsg[] = [];
    const errors: string[] = [];
    const statuses: WatcherStatus[] = [];
    const watcher = new HlsWatcher(
      { path: target, stream: 'cam', stateStore: store, checkIntervalMs: 100 },
      { onMessage: (m) => msgs.push(m), onError: (err) => errors.push(err.code), onStatus: (s) => statuses.push(s) },
    );
    open.push(watcher);
    return { watcher, msgs, errors, statuses };
  }

  it('waits for a missing folder (waiting status), then follows the encoder that creates it to ENDLIST', async () => {
    const out = path.join(tmp.dir, 'out');
    const w = watch(out);
    await w.watcher.start();
    assert.equal(w.watcher.status.state, 'waiting');
    const encoder = new DemoEncoder({ fixture: path.join(FIXTURES, 'ts-single'), outDir: out, speed: 40 });
    await encoder.start();
    await encoder.finished();
    await until(() => w.msgs.some((m) => m.topic === 'lifecycle' && m.payload.event === 'ended'), 'ended');
    const segs = w.msgs.filter((m): m is SegmentMsg => m.topic === 'segment');
    assert.deepEqual(
      segs.map((s) => s.segment.sha256),
      encoder.written.map((s) => s.sha256),
    );
    assert.deepEqual(
      segs.map((s) => s.segment.sequence),
      encoder.written.map((_, i) => i),
    );
    assert.deepEqual(w.errors, []);
    assert.equal(w.watcher.status.state, 'watching');
    assert.ok(w.statuses.some((s) => s.state === 'waiting'));
  });

  it("refuses a stream id outside the contract's id rule at once (E_CONFIG), before watching anything", () => {
    for (const stream of ['has space', 'x'.repeat(65), '..']) {
      assert.throws(
        () => new HlsWatcher({ path: tmp.dir, stream }, { onMessage: () => undefined, onError: () => undefined }),
        (err: { code?: string }) => err.code === 'E_CONFIG',
        stream,
      );
    }
  });

  it("a second watcher with the first one's saved state resumes mid-stream: no duplicates, no losses", async () => {
    const out = path.join(tmp.dir, 'out');
    mkdirSync(out);
    const store = new MemoryStateStore();
    const encoder = new DemoEncoder({ fixture: path.join(FIXTURES, 'ts-single'), outDir: out, speed: 10, segments: 12, listSize: 6 });
    const first = watch(out, store);
    await first.watcher.start();
    await encoder.start();
    await until(() => first.msgs.filter((m) => m.topic === 'segment').length >= 3, '3 segments');
    await first.watcher.close();
    const second = watch(out, store);
    await second.watcher.start();
    await encoder.finished();
    await until(() => second.msgs.some((m) => m.topic === 'lifecycle' && m.payload.event === 'ended'), 'ended');
    const all = [...first.msgs, ...second.msgs].filter((m): m is SegmentMsg => m.topic === 'segment');
    assert.deepEqual(
      all.map((s) => s.segment.encoderSequence),
      encoder.written.map((s) => s.sequence),
    );
    assert.deepEqual(
      all.map((s) => s.segment.sequence),
      encoder.written.map((_, i) => i),
    );
    assert.deepEqual(
      all.map((s) => s.segment.sha256),
      encoder.written.map((s) => s.sha256),
    );
    assert.equal(new Set(all.map((s) => s.segment.session)).size, 1);
    assert.deepEqual(
      second.msgs.filter((m) => m.topic === 'lifecycle').map((m) => m.topic === 'lifecycle' && m.payload.event),
      ['ended'],
    );
  });
});

describe('hls-watch watcher: background passes never leave an unhandled rejection', () => {
  const tmp = tempDirPerTest();
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  beforeEach(() => {
    rejections.length = 0;
    process.on('unhandledRejection', onRejection);
  });
  afterEach(() => {
    process.removeListener('unhandledRejection', onRejection);
  });

  it('a pass that throws (here: the msg handler) is reported through onError with a code, and the watcher keeps going', async () => {
    writeFileSync(path.join(tmp.dir, 'seg_00000.ts'), segmentBytes('seg_00000.ts'));
    writeAtomically(path.join(tmp.dir, 'index.m3u8'), mediaPlaylist({ sequence: 0, entries: [{ uri: 'seg_00000.ts', duration: 2 }] }));
    const errors: Array<{ code: string; message: string }> = [];
    const msgs: WatchMsg[] = [];
    let throwOnce = true;
    const watcher = new HlsWatcher(
      { path: tmp.dir, stream: 'cam', checkIntervalMs: 50 },
      {
        onMessage: (m) => {
          if (m.topic === 'segment' && throwOnce) {
            throwOnce = false;
            throw new Error('downstream handler bug');
          }
          msgs.push(m);
        },
        onError: (err) => errors.push({ code: err.code, message: err.message }),
      },
    );
    try {
      await watcher.start();
      await until(() => errors.length > 0, 'the failure to be reported');
      assert.deepEqual(errors, [{ code: 'E_WATCH_INTERNAL', message: 'downstream handler bug' }]);
      // The next segment still flows: one failed pass does not stop the watcher.
      writeFileSync(path.join(tmp.dir, 'seg_00001.ts'), segmentBytes('seg_00001.ts'));
      writeAtomically(
        path.join(tmp.dir, 'index.m3u8'),
        mediaPlaylist({
          sequence: 0,
          entries: [
            { uri: 'seg_00000.ts', duration: 2 },
            { uri: 'seg_00001.ts', duration: 2 },
          ],
        }),
      );
      await until(() => msgs.some((m) => m.topic === 'segment' && m.segment.uri === 'seg_00001.ts'), 'the next segment');
    } finally {
      await watcher.close();
    }
    // A rejection is reported on a later turn: wait for the turn after close, then check.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(rejections, []);
  });
});

describe("hls-watch watcher: renditions leaving the encoder's layout", () => {
  const tmp = tempDirPerTest();

  const master = (ids: string[]) =>
    ['#EXTM3U', ...ids.flatMap((id) => [`#EXT-X-STREAM-INF:BANDWIDTH=${100000 * (Number(id) + 1)}`, `${id}/index.m3u8`]), ''].join('\n');

  it('ends a rendition that left the master playlist (lifecycle ended), so manifest stops listing it; the others go on', async () => {
    for (const id of ['0', '1']) {
      mkdirSync(path.join(tmp.dir, id));
      writeFileSync(path.join(tmp.dir, id, 'seg_00000.ts'), segmentBytes(`${id}-0`));
      writeAtomically(path.join(tmp.dir, id, 'index.m3u8'), mediaPlaylist({ sequence: 0, entries: [{ uri: 'seg_00000.ts', duration: 2 }] }));
    }
    writeAtomically(path.join(tmp.dir, 'master.m3u8'), master(['0', '1']));
    const msgs: WatchMsg[] = [];
    const watcher = new HlsWatcher({ path: tmp.dir, stream: 'cam', checkIntervalMs: 50 }, { onMessage: (m) => msgs.push(m), onError: () => undefined });
    try {
      await watcher.start();
      await until(() => msgs.filter((m) => m.topic === 'segment').length === 2, 'a segment of each rendition');
      // Each segment names the renditions followed, so manifest can wait for all before its first master.
      for (const m of msgs) if (m.topic === 'segment') assert.deepEqual(m.segment.renditions, ['0', '1']);
      writeAtomically(path.join(tmp.dir, 'master.m3u8'), master(['0']));
      await until(() => msgs.some((m) => m.topic === 'lifecycle' && m.payload.event === 'ended'), 'rendition 1 ended');
      const ended = msgs.filter((m) => m.topic === 'lifecycle' && m.payload.event === 'ended').map((m) => m.topic === 'lifecycle' && m.payload.rendition);
      assert.deepEqual(ended, ['1']);
      writeFileSync(path.join(tmp.dir, '0', 'seg_00001.ts'), segmentBytes('0-1'));
      writeAtomically(
        path.join(tmp.dir, '0', 'index.m3u8'),
        mediaPlaylist({
          sequence: 0,
          entries: [
            { uri: 'seg_00000.ts', duration: 2 },
            { uri: 'seg_00001.ts', duration: 2 },
          ],
        }),
      );
      await until(() => msgs.some((m) => m.topic === 'segment' && m.segment.rendition === '0' && m.segment.uri === 'seg_00001.ts'), 'rendition 0 goes on');
      const last = msgs.filter((m) => m.topic === 'segment').at(-1)!;
      assert.equal(last.topic === 'segment' && last.segment.renditions, undefined, 'one rendition left: no hint');
    } finally {
      await watcher.close();
    }
  });
});

describe('hls-watch watcher: deliveries confirmed downstream (exactly once across a restart)', () => {
  const tmp = tempDirPerTest();

  it('delivers again, after a restart, a segment it sent that never reached manifest, with the same sequence; nothing confirmed twice', async () => {
    for (let i = 0; i < 3; i++) writeFileSync(path.join(tmp.dir, `seg_0000${i}.ts`), segmentBytes(`seg-${i}`));
    writeAtomically(path.join(tmp.dir, 'index.m3u8'), mediaPlaylist({ sequence: 0, entries: [0, 1, 2].map((i) => ({ uri: `seg_0000${i}.ts`, duration: 2 })) }));
    const store = new MemoryStateStore();
    const core = new ManifestCore();
    const refused: string[] = [];
    // manifest's side of the loop: list the segment, then confirm it (as the node does once saved).
    const manifestOf =
      (watcher: () => HlsWatcher, drop: (m: SegmentMsg) => boolean) =>
      (m: WatchMsg): void => {
        if (m.topic !== 'segment') return;
        if (drop(m)) return; // sent by hls-watch, never arrived (a crash, or a redeploy dropping it)
        try {
          core.apply({ ...m, segment: { ...m.segment, url: `https://media.example.test/${m.segment.uri}` } });
        } catch (err) {
          refused.push((err as { code: string }).code);
        }
        watcher().confirm(m.segment.rendition, m.segment.session, m.segment.sequence);
      };
    const firstSeen: SegmentMsg[] = [];
    const first: HlsWatcher = new HlsWatcher(
      { path: tmp.dir, stream: 'demo', stateStore: store, checkIntervalMs: 50 },
      {
        onMessage: (m) => {
          if (m.topic === 'segment') firstSeen.push(m);
          manifestOf(
            () => first!,
            (s) => s.segment.uri === 'seg_00002.ts',
          )(m);
        },
        onError: () => undefined,
      },
    );
    await first.start();
    await until(() => firstSeen.length === 3, 'three segments sent');
    await first.close();
    assert.equal((core.mediaPlaylist('demo', 'main')!.text.match(/#EXTINF/g) ?? []).length, 2, 'the third never arrived');

    const secondSeen: SegmentMsg[] = [];
    const second: HlsWatcher = new HlsWatcher(
      { path: tmp.dir, stream: 'demo', stateStore: store, checkIntervalMs: 50 },
      {
        onMessage: (m) => {
          if (m.topic === 'segment') secondSeen.push(m);
          manifestOf(
            () => second!,
            () => false,
          )(m);
        },
        onError: () => undefined,
      },
    );
    try {
      await second.start();
      await until(() => secondSeen.length === 1, 'the unconfirmed segment sent again');
    } finally {
      await second.close();
    }
    assert.deepEqual(
      secondSeen.map((m) => [m.segment.uri, m.segment.sequence, m.segment.session]),
      [['seg_00002.ts', 2, firstSeen[2].segment.session]],
    );
    const listed = parseMediaPlaylist(core.mediaPlaylist('demo', 'main')!.text).segments.map((e) => e.uri);
    assert.deepEqual(
      listed,
      [0, 1, 2].map((i) => `https://media.example.test/seg_0000${i}.ts`),
      'each listed once, none lost',
    );
    assert.deepEqual(refused, []);
  });

  it('while running, sends the unconfirmed again when a stage downstream restarted or manifest misses what came before one (a partial deploy)', async () => {
    for (let i = 0; i < 3; i++) writeFileSync(path.join(tmp.dir, `seg_0000${i}.ts`), segmentBytes(`seg-${i}`));
    writeAtomically(path.join(tmp.dir, 'index.m3u8'), mediaPlaylist({ sequence: 0, entries: [0, 1, 2].map((i) => ({ uri: `seg_0000${i}.ts`, duration: 2 })) }));
    const seen: SegmentMsg[] = [];
    const watcher = new HlsWatcher(
      { path: tmp.dir, stream: 'demo', checkIntervalMs: 50, receiptsExpected: () => true },
      {
        onMessage: (m) => {
          if (m.topic === 'segment') seen.push(m);
        },
        onError: () => undefined,
      },
    );
    const sent = () => seen.map((m) => [m.segment.uri, m.segment.sequence, m.segment.redelivered === true]);
    try {
      await watcher.start();
      await until(() => seen.length === 3, 'three segments sent');
      const session = seen[0].segment.session;
      watcher.confirm('main', session, 0); // 1 and 2 were dropped by a stopped node
      assert.equal(watcher.resendUnconfirmed(), true);
      assert.equal(seen.length, 3, 'not from inside the call: the node that asked may not be wired yet');
      await until(() => seen.length === 5, 'the two unconfirmed sent again');
      assert.deepEqual(sent().slice(3), [
        ['seg_00001.ts', 1, true],
        ['seg_00002.ts', 2, true],
      ]);
      watcher.confirm('main', session, 1);
      assert.equal(watcher.resendUnconfirmed({ rendition: 'main', session, sequence: 1 }), false, 'confirmed: nothing to send');
      assert.equal(watcher.resendUnconfirmed({ rendition: 'other', session, sequence: 2 }), false, 'not a rendition it follows');
      assert.equal(watcher.resendUnconfirmed({ rendition: 'main', session: 'an-older-one', sequence: 2 }), false, 'only the current session goes out again');
      assert.equal(watcher.resendUnconfirmed({ rendition: 'main', session, sequence: 2 }), true);
      await until(() => seen.length === 6, 'the one asked for sent again');
      assert.deepEqual(sent()[5], ['seg_00002.ts', 2, true]);
      watcher.confirm('main', session, 2);
      assert.equal(watcher.resendUnconfirmed(), false, 'everything confirmed');
    } finally {
      await watcher.close();
    }
    assert.equal(watcher.resendUnconfirmed(), false, 'closed');
  });

  it('journals a delivery before sending it: killed the moment the very first segment goes out, a restart sends it again with the same session and sequence', async () => {
    for (let i = 0; i < 2; i++) writeFileSync(path.join(tmp.dir, `seg_0000${i}.ts`), segmentBytes(`seg-${i}`));
    writeAtomically(path.join(tmp.dir, 'index.m3u8'), mediaPlaylist({ sequence: 0, entries: [0, 1].map((i) => ({ uri: `seg_0000${i}.ts`, duration: 2 })) }));
    const store = new MemoryStateStore();
    // What a SIGKILL leaves on disk: the store as it is at the instant the first msg is sent.
    let killed = false;
    let onDisk: unknown;
    const first = new HlsWatcher(
      { path: tmp.dir, stream: 'demo', stateStore: store, checkIntervalMs: 50, receiptsExpected: () => true },
      {
        onMessage: (m) => {
          if (m.topic !== 'segment' || killed) return;
          killed = true;
          onDisk = store.load();
        },
        onError: () => undefined,
      },
    );
    await first.start();
    await until(() => killed, 'the first segment sent');
    await first.close();

    assert.ok(onDisk !== undefined, 'nothing was on disk when the first segment went out');
    const crashed = new MemoryStateStore();
    crashed.save(onDisk);
    const firstSession = (onDisk as { session: string | null }).session;
    const seen: SegmentMsg[] = [];
    const second = new HlsWatcher(
      { path: tmp.dir, stream: 'demo', stateStore: crashed, checkIntervalMs: 50, receiptsExpected: () => true },
      {
        onMessage: (m) => {
          if (m.topic === 'segment') seen.push(m);
        },
        onError: () => undefined,
      },
    );
    try {
      await second.start();
      await until(() => seen.length >= 2, 'both segments after the restart');
    } finally {
      await second.close();
    }
    assert.ok(firstSession, 'the session was on disk before its first segment went out');
    assert.deepEqual(
      seen.map((m) => [m.segment.uri, m.segment.sequence, m.segment.session, m.segment.redelivered === true]),
      [
        ['seg_00000.ts', 0, firstSession, true],
        ['seg_00001.ts', 1, firstSession, false],
      ],
    );
  });
});

describe('hls-watch watcher: renditions left out by its filter', () => {
  const tmp = tempDirPerTest();

  it('does not read ahead (and hash) the segments of a rendition it does not follow', async () => {
    for (const id of ['0', '1']) {
      mkdirSync(path.join(tmp.dir, id));
      writeFileSync(path.join(tmp.dir, id, 'seg_00000.ts'), segmentBytes(`${id}-0`));
      writeAtomically(path.join(tmp.dir, id, 'index.m3u8'), mediaPlaylist({ sequence: 0, entries: [{ uri: 'seg_00000.ts', duration: 2 }] }));
    }
    writeAtomically(
      path.join(tmp.dir, 'master.m3u8'),
      ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=200000', '0/index.m3u8', '#EXT-X-STREAM-INF:BANDWIDTH=100000', '1/index.m3u8', ''].join('\n'),
    );
    const msgs: WatchMsg[] = [];
    const watcher = new HlsWatcher(
      { path: tmp.dir, stream: 'cam', renditions: ['0'], checkIntervalMs: 50 },
      { onMessage: (m) => msgs.push(m), onError: () => undefined },
    );
    try {
      await watcher.start();
      await until(() => msgs.some((m) => m.topic === 'segment'), 'the followed rendition');
      // The left-out rendition's new segment first, then the followed one's: once the second is
      // delivered, the first one's file event has been seen too.
      writeFileSync(path.join(tmp.dir, '1', 'seg_00001.ts'), segmentBytes('1-1'));
      writeFileSync(path.join(tmp.dir, '0', 'seg_00001.ts'), segmentBytes('0-1'));
      writeAtomically(
        path.join(tmp.dir, '0', 'index.m3u8'),
        mediaPlaylist({
          sequence: 0,
          entries: [
            { uri: 'seg_00000.ts', duration: 2 },
            { uri: 'seg_00001.ts', duration: 2 },
          ],
        }),
      );
      await until(() => msgs.filter((m) => m.topic === 'segment').length === 2, "the followed rendition's next segment");
      assert.deepEqual(
        watcher.readAhead.filter((f) => f.includes(`${path.sep}1${path.sep}`)),
        [],
        'nothing of rendition 1 was read',
      );
      assert.ok(
        watcher.readAhead.some((f) => f.endsWith(path.join('0', 'seg_00001.ts'))),
        'the followed one was read ahead',
      );
    } finally {
      await watcher.close();
    }
  });
});
