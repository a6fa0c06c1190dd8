// relaycast-hls-watch in a real Node-RED runtime (the compiled node from dist/), fed by the demo
// encoder replaying the committed ffmpeg fixtures in every write order, and by hand-made bad input.
// Msgs, errors (through a Catch node) and statuses (through a Status node) are collected by a small
// sink node type whose arrays live outside the flow, so nothing is missed across a redeploy.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import type { GapMsg, LifecycleMsg, SegmentMsg } from '../../lib/protocol/msgs';
import { DemoEncoder, type WriteOrder } from '../../devtools/demo-encoder';
import { distNode, helper } from '../support/node-red';
import { until as untilHolds } from '../support/until';

const hlsWatch = distNode('hls-watch');
const FIXTURES = path.resolve(__dirname, '../fixtures/hls');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Collected {
  out: Array<SegmentMsg | GapMsg | LifecycleMsg>;
  errors: Array<{ topic?: string; error: { code?: string; message: string; source: { id: string } } }>;
  statuses: Array<{ fill?: string; shape?: string; text?: string }>;
  /** Input msgs w1 has finished handling (done(), seen by a Complete node). */
  handled: Array<{ topic?: string }>;
  /** What a second watcher of the same folder emits: shows what w1 would have seen. */
  witness: Array<SegmentMsg | GapMsg | LifecycleMsg>;
}
const noSinks = (): Collected => ({ out: [], errors: [], statuses: [], handled: [], witness: [] });
let sinks: Collected = noSinks();

/** A node type that appends every msg it receives to `sinks[config.kind]`. */
function sinkModule(RED: NodeAPI): void {
  function Sink(this: { on: (ev: string, fn: (...a: never[]) => void) => void }, config: { kind: keyof Collected }) {
    RED.nodes.createNode(this as never, config as never);
    this.on('input', ((msg: Record<string, unknown>, _send: unknown, done: () => void) => {
      if (config.kind === 'statuses') {
        const { fill, shape, text } = msg.status as Collected['statuses'][number];
        sinks.statuses.push({ fill, shape, text });
      } else (sinks[config.kind] as unknown[]).push(msg);
      done();
    }) as never);
  }
  RED.nodes.registerType('test-sink', Sink as never);
}

function flowFor(config: Record<string, unknown>): Record<string, unknown>[] {
  return [
    { id: 'tab1', type: 'tab', label: 'hls-watch' },
    {
      id: 'w1',
      type: 'relaycast-hls-watch',
      z: 'tab1',
      name: '',
      stream: 'cam',
      renditions: 'all',
      usePolling: false,
      pollInterval: 250,
      maxSegmentMB: 64,
      segmentWait: 3000,
      ...config,
      wires: [['sink-out']],
    },
    { id: 'sink-out', type: 'test-sink', z: 'tab1', kind: 'out', wires: [] },
    { id: 'c1', type: 'catch', z: 'tab1', scope: null, uncaught: false, wires: [['sink-errors']] },
    { id: 'sink-errors', type: 'test-sink', z: 'tab1', kind: 'errors', wires: [] },
    { id: 's1', type: 'status', z: 'tab1', scope: ['w1'], wires: [['sink-statuses']] },
    { id: 'sink-statuses', type: 'test-sink', z: 'tab1', kind: 'statuses', wires: [] },
    { id: 'd1', type: 'complete', z: 'tab1', scope: ['w1'], uncaught: false, wires: [['sink-handled']] },
    { id: 'sink-handled', type: 'test-sink', z: 'tab1', kind: 'handled', wires: [] },
  ];
}

/** A second hls-watch node (w2) on `watchPath`, on its own tab, whose msgs go to sinks.witness. */
function witnessFlow(watchPath: string): Record<string, unknown>[] {
  return [
    { id: 'tab2', type: 'tab', label: 'witness' },
    {
      id: 'w2',
      type: 'relaycast-hls-watch',
      z: 'tab2',
      name: 'witness',
      stream: 'cam',
      renditions: 'all',
      usePolling: false,
      pollInterval: 250,
      maxSegmentMB: 64,
      segmentWait: 3000,
      path: watchPath,
      wires: [['sink-witness']],
    },
    { id: 'sink-witness', type: 'test-sink', z: 'tab2', kind: 'witness', wires: [] },
  ];
}

const until = (predicate: () => boolean, what: string, ms = 15000): Promise<void> => untilHolds(predicate, what, ms, 5, () => JSON.stringify(summary()));

function summary(): unknown {
  return {
    out: sinks.out.map((m) =>
      m.topic === 'lifecycle' ? `${m.payload.rendition}:${m.payload.event}` : `${m.segment.rendition}:${m.topic}:${m.segment.encoderSequence}`,
    ),
    errors: sinks.errors.map((e) => e.error.code),
    status: sinks.statuses.slice(-3),
  };
}

const segmentsOf = (rendition?: string): SegmentMsg[] =>
  sinks.out.filter((m): m is SegmentMsg => m.topic === 'segment' && (rendition === undefined || m.segment.rendition === rendition));
const lifecycles = (rendition: string): string[] =>
  sinks.out.filter((m): m is LifecycleMsg => m.topic === 'lifecycle' && m.payload.rendition === rendition).map((m) => m.payload.event);
const lastStatus = (): Collected['statuses'][number] | undefined => sinks.statuses[sinks.statuses.length - 1];
const errorCodes = (): (string | undefined)[] => sinks.errors.map((e) => e.error.code);

interface FixtureJson {
  kind: 'ts' | 'fmp4';
  master: string | null;
  renditions: { id: string; playlist: string; init: string | null }[];
}
const fixtureJson = (name: string): FixtureJson => JSON.parse(readFileSync(path.join(FIXTURES, name, 'fixture.json'), 'utf8')) as FixtureJson;

function mediaPlaylist(sequence: number, entries: Array<[string, number]>, ended = false): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${sequence}`];
  for (const [uri, d] of entries) lines.push(`#EXTINF:${d.toFixed(6)},`, uri);
  if (ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}
function writePlaylist(dir: string, text: string | Buffer): void {
  writeFileSync(path.join(dir, 'index.m3u8.tmp'), text);
  renameSync(path.join(dir, 'index.m3u8.tmp'), path.join(dir, 'index.m3u8'));
}

describe('relaycast-hls-watch in a Node-RED runtime', function () {
  this.timeout(60000);
  let work: string;
  let userDir: string;
  let encoders: DemoEncoder[] = [];

  before(() => {
    work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'hls-watch-nodes-')));
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  beforeEach(() => {
    sinks = noSinks();
    userDir = mkdtempSync(path.join(work, 'userdir-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await Promise.all(encoders.map((e) => e.stop()));
    encoders = [];
    await helper.unload();
  });

  function encoder(options: ConstructorParameters<typeof DemoEncoder>[0]): DemoEncoder {
    const e = new DemoEncoder(options);
    encoders.push(e);
    return e;
  }

  async function load(config: Record<string, unknown>): Promise<void> {
    await helper.load([hlsWatch as never, sinkModule as never], flowFor(config) as never);
  }

  describe('every fixture in every write order: exact order, durations, SHA-256, no duplicates, no gaps', () => {
    const orders: WriteOrder[] = ['ffmpeg', 'srs', 'playlist-first'];
    for (const fixture of ['ts-single', 'fmp4-single', 'ts-multi', 'owncast']) {
      for (const order of orders) {
        it(`${fixture}, ${order} order`, async () => {
          const description = fixtureJson(fixture);
          const out = path.join(work, `${fixture}-${order}`);
          // Watch before the encoder exists (as after a reboot): the folder appears later.
          await load({ path: description.master ? path.join(out, description.master) : out });
          // 8 segments from a 6-segment fixture: the wrap writes an EXT-X-DISCONTINUITY too.
          const enc = encoder({ fixture: path.join(FIXTURES, fixture), outDir: out, speed: 25, writeOrder: order, segments: 8 });
          await enc.start();
          await enc.finished();
          const ids = description.renditions.map((r) => r.id);
          await until(() => ids.every((id) => lifecycles(id).includes('ended')), 'ended on every rendition');
          assert.deepEqual(errorCodes(), []);
          assert.equal(sinks.out.filter((m) => m.topic === 'gap').length, 0);
          for (const r of description.renditions) {
            const written = enc.written.filter((w) => w.rendition === r.id);
            const got = segmentsOf(r.id);
            assert.equal(written.length, 8);
            assert.deepEqual(lifecycles(r.id), ['started', 'ended']);
            assert.deepEqual(
              got.map((m) => m.segment.encoderSequence),
              written.map((w) => w.sequence),
              'order',
            );
            assert.deepEqual(
              got.map((m) => m.segment.sequence),
              written.map((_, i) => i),
              'relaycast sequence',
            );
            assert.deepEqual(
              got.map((m) => m.segment.uri),
              written.map((w) => w.uri),
            );
            assert.deepEqual(
              got.map((m) => m.segment.duration),
              written.map((w) => w.duration),
              'EXTINF durations',
            );
            assert.deepEqual(
              got.map((m) => m.segment.sha256),
              written.map((w) => w.sha256),
              'SHA-256',
            );
            assert.deepEqual(
              got.map((m) => sha(m.payload)),
              written.map((w) => w.sha256),
              'payload bytes',
            );
            assert.deepEqual(
              got.map((m) => m.segment.byteLength),
              written.map((w) => w.byteLength),
            );
            assert.deepEqual(
              got.map((m) => m.segment.discontinuity),
              written.map((w) => w.discontinuity),
            );
            assert.equal(new Set(got.map((m) => m.segment.session)).size, 1);
            if (description.kind === 'fmp4') {
              const init = readFileSync(path.join(FIXTURES, fixture, path.dirname(r.playlist), r.init as string));
              for (const m of got) assert.ok(m.init && m.init.bytes.equals(init) && m.init.sha256 === sha(init), 'init section');
            } else {
              assert.ok(got.every((m) => m.init === undefined));
            }
            if (description.master)
              assert.ok(
                got.every((m) => typeof m.segment.variant?.bandwidth === 'number'),
                'variant from master',
              );
          }
          // Same session for all renditions of one encoder run.
          assert.equal(new Set(segmentsOf().map((m) => m.segment.session)).size, 1);
          assert.equal(lastStatus()?.fill, 'green');
          assert.equal(lastStatus()?.text, 'hls-watch.status.watching'); // RED._ returns the key under the test helper
        });
      }
    }

    it('ffmpeg 5.1 writes the master only after the first media playlists: nothing before it is lost', async () => {
      const out = path.join(work, 'master-late');
      await load({ path: path.join(out, 'master.m3u8') });
      const enc = encoder({ fixture: path.join(FIXTURES, 'ts-multi'), outDir: out, speed: 25, masterWrittenAt: 'first-segment' });
      await enc.start();
      await enc.finished();
      await until(() => ['0', '1', '2'].every((id) => lifecycles(id).includes('ended')), 'ended');
      for (const id of ['0', '1', '2']) {
        assert.deepEqual(
          segmentsOf(id).map((m) => m.segment.sha256),
          enc.written.filter((w) => w.rendition === id).map((w) => w.sha256),
        );
      }
      assert.deepEqual(errorCodes(), []);
    });

    it('owncast tree watched from its parent folder finds the master one level down', async () => {
      const out = path.join(work, 'owncast-parent');
      mkdirSync(out);
      await load({ path: out });
      const enc = encoder({ fixture: path.join(FIXTURES, 'owncast'), outDir: out, speed: 40 });
      await enc.start();
      await enc.finished();
      await until(() => ['0', '1'].every((id) => lifecycles(id).includes('ended')), 'ended');
      for (const id of ['0', '1']) {
        assert.deepEqual(
          segmentsOf(id).map((m) => m.segment.sha256),
          enc.written.filter((w) => w.rendition === id).map((w) => w.sha256),
        );
      }
    });
  });

  it('polling fallback (network filesystems) delivers the same exact stream', async () => {
    const out = path.join(work, 'polling');
    mkdirSync(out);
    await load({ path: out, usePolling: true, pollInterval: 50 });
    const enc = encoder({ fixture: path.join(FIXTURES, 'fmp4-single'), outDir: out, speed: 10, writeOrder: 'srs' });
    await enc.start();
    await enc.finished();
    await until(() => lifecycles('main').includes('ended'), 'ended');
    assert.deepEqual(
      segmentsOf().map((m) => m.segment.sha256),
      enc.written.map((w) => w.sha256),
    );
    assert.deepEqual(
      segmentsOf().map((m) => m.segment.duration),
      enc.written.map((w) => w.duration),
    );
    assert.deepEqual(errorCodes(), []);
  });

  it('encoder restart → restarted, a new session, discontinuity on the first segment after, sequence keeps rising', async () => {
    const out = path.join(work, 'restart');
    await load({ path: out });
    const enc = encoder({ fixture: path.join(FIXTURES, 'ts-single'), outDir: out, speed: 10, segments: 40 });
    await enc.start();
    await until(() => segmentsOf().length >= 3 && segmentsOf().length === enc.written.length, 'first segments');
    await enc.restart();
    await until(() => enc.written.filter((w) => w.session === 2).length >= 3 && segmentsOf().length === enc.written.length, 'segments after restart');
    await enc.stop();
    await until(() => lifecycles('main').includes('ended'), 'ended');
    const got = segmentsOf();
    assert.deepEqual(
      got.map((m) => m.segment.sha256),
      enc.written.map((w) => w.sha256),
    );
    assert.deepEqual(
      got.map((m) => m.segment.sequence),
      enc.written.map((_, i) => i),
    );
    const firstAfter = enc.written.findIndex((w) => w.session === 2);
    assert.deepEqual(
      got.map((m) => m.segment.discontinuity),
      enc.written.map((_, i) => i === firstAfter),
    );
    assert.equal(got[firstAfter].segment.encoderSequence, 0);
    assert.notEqual(got[firstAfter].segment.session, got[firstAfter - 1].segment.session);
    assert.deepEqual(lifecycles('main'), ['started', 'restarted', 'ended']);
    const restarted = sinks.out.find((m): m is LifecycleMsg => m.topic === 'lifecycle' && m.payload.event === 'restarted')!;
    assert.equal(restarted.payload.sequence, firstAfter);
    assert.equal(restarted.payload.session, got[firstAfter].segment.session);
    assert.deepEqual(errorCodes(), []);
  });

  describe('bad input → catchable error with a code, red status, and recovery', () => {
    it('missing folder: yellow ring while waiting, then segments once the encoder creates it', async () => {
      const out = path.join(work, 'missing', 'deeper');
      await load({ path: out });
      await until(() => lastStatus()?.fill === 'yellow', 'yellow status');
      assert.deepEqual(lastStatus(), { fill: 'yellow', shape: 'ring', text: 'hls-watch.status.waiting' });
      const enc = encoder({ fixture: path.join(FIXTURES, 'ts-single'), outDir: out, speed: 40 });
      await enc.start();
      await enc.finished();
      await until(() => lifecycles('main').includes('ended'), 'ended');
      assert.equal(segmentsOf().length, 6);
      assert.equal(lastStatus()?.fill, 'green');
      assert.deepEqual(errorCodes(), []);
    });

    it('unreadable folder (the path is a file) → E_FOLDER_UNREADABLE, red; recovers when the folder is there', async () => {
      const out = path.join(work, 'unreadable');
      writeFileSync(out, 'not a folder');
      await load({ path: out });
      await until(() => errorCodes().includes('E_FOLDER_UNREADABLE'), 'E_FOLDER_UNREADABLE');
      assert.equal(sinks.errors[0].error.source.id, 'w1');
      assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'E_FOLDER_UNREADABLE' });
      rmSync(out);
      const enc = encoder({ fixture: path.join(FIXTURES, 'ts-single'), outDir: out, speed: 40 });
      await enc.start();
      await enc.finished();
      await until(() => lifecycles('main').includes('ended'), 'ended');
      assert.equal(segmentsOf().length, 6);
      assert.equal(lastStatus()?.fill, 'green');
      assert.deepEqual(errorCodes(), ['E_FOLDER_UNREADABLE'], 'reported once, not on every retry');
    });

    if (process.getuid?.() !== 0) {
      it('unreadable folder (no permission) → E_FOLDER_UNREADABLE', async () => {
        const out = path.join(work, 'noperm');
        mkdirSync(out, { mode: 0o000 });
        try {
          await load({ path: out });
          await until(() => errorCodes().includes('E_FOLDER_UNREADABLE'), 'E_FOLDER_UNREADABLE');
        } finally {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require('node:fs').chmodSync(out, 0o755);
        }
      });
    }

    it('malformed playlist → E_PLAYLIST_MALFORMED, red; the next good playlist recovers', async () => {
      const out = path.join(work, 'malformed');
      mkdirSync(out);
      writeFileSync(path.join(out, 'a.ts'), Buffer.alloc(1000, 1));
      writePlaylist(out, mediaPlaylist(0, [['a.ts', 2]]));
      await load({ path: out });
      await until(() => segmentsOf().length === 1, 'first segment');
      writePlaylist(out, '#EXTM3U\n#EXTINF:banana,\n\u0000\u0001garbage');
      await until(() => errorCodes().includes('E_PLAYLIST_MALFORMED'), 'E_PLAYLIST_MALFORMED');
      await until(() => lastStatus()?.fill === 'red', 'red');
      assert.equal(lastStatus()?.text, 'E_PLAYLIST_MALFORMED');
      writeFileSync(path.join(out, 'b.ts'), Buffer.alloc(1000, 2));
      writePlaylist(
        out,
        mediaPlaylist(
          0,
          [
            ['a.ts', 2],
            ['b.ts', 1.5],
          ],
          true,
        ),
      );
      await until(() => lifecycles('main').includes('ended'), 'ended');
      assert.deepEqual(
        segmentsOf().map((m) => [m.segment.uri, m.segment.sequence, m.segment.duration]),
        [
          ['a.ts', 0, 2],
          ['b.ts', 1, 1.5],
        ],
      );
      assert.equal(lastStatus()?.fill, 'green');
      assert.deepEqual(errorCodes(), ['E_PLAYLIST_MALFORMED']);
    });

    it('a folder whose only playlist is junk from the start is reported, not silently waited on', async () => {
      const out = path.join(work, 'junk-only');
      mkdirSync(out);
      writeFileSync(path.join(out, 'index.m3u8'), 'hello, I am not a playlist\n');
      await load({ path: out });
      await until(() => errorCodes().includes('E_PLAYLIST_MALFORMED'), 'E_PLAYLIST_MALFORMED');
      writeFileSync(path.join(out, 'a.ts'), Buffer.alloc(500, 3));
      writePlaylist(out, mediaPlaylist(0, [['a.ts', 2]]));
      await until(() => segmentsOf().length === 1, 'segment after recovery');
      assert.equal(lastStatus()?.fill, 'green');
    });

    it('playlist listing a missing file → E_SEGMENT_LOST with the gap msg, red; the next segment recovers with discontinuity', async () => {
      const out = path.join(work, 'ghost');
      mkdirSync(out);
      await load({ path: out, segmentWait: 150 });
      writeFileSync(path.join(out, 'a.ts'), Buffer.alloc(1000, 1));
      writePlaylist(
        out,
        mediaPlaylist(0, [
          ['a.ts', 2],
          ['ghost.ts', 1.9],
        ]),
      );
      await until(() => errorCodes().includes('E_SEGMENT_LOST'), 'E_SEGMENT_LOST');
      const caught = sinks.errors[0];
      assert.equal(caught.topic, 'gap');
      assert.equal((caught as unknown as GapMsg).segment.uri, 'ghost.ts');
      assert.equal(lastStatus()?.fill, 'red');
      const gap = sinks.out.find((m): m is GapMsg => m.topic === 'gap')!;
      assert.deepEqual(
        [gap.payload.reason, gap.payload.code, gap.segment.sequence, gap.segment.encoderSequence, gap.segment.duration],
        ['segment-lost', 'E_SEGMENT_LOST', 1, 1, 1.9],
      );
      writeFileSync(path.join(out, 'c.ts'), Buffer.alloc(1000, 3));
      writePlaylist(
        out,
        mediaPlaylist(0, [
          ['a.ts', 2],
          ['ghost.ts', 1.9],
          ['c.ts', 2],
        ]),
      );
      await until(() => segmentsOf().length === 2, 'segment after the gap');
      const c = segmentsOf()[1];
      assert.deepEqual([c.segment.uri, c.segment.sequence, c.segment.discontinuity], ['c.ts', 2, true]);
      assert.equal(lastStatus()?.fill, 'green');
    });

    it('enormous junk files: a listed 2 MiB "segment" over the cap → E_SEGMENT_TOO_LARGE; a 3 MiB "playlist" → E_PLAYLIST_TOO_LARGE', async () => {
      const out = path.join(work, 'junk');
      mkdirSync(out);
      await load({ path: out, maxSegmentMB: 1 });
      writeFileSync(path.join(out, 'huge.ts'), Buffer.alloc(2 << 20, 7));
      writePlaylist(out, mediaPlaylist(0, [['huge.ts', 2]]));
      await until(() => errorCodes().includes('E_SEGMENT_TOO_LARGE'), 'E_SEGMENT_TOO_LARGE');
      assert.equal(sinks.out.filter((m) => m.topic === 'gap').length, 1);
      writePlaylist(out, Buffer.alloc(3 << 20, 0x41));
      await until(() => errorCodes().includes('E_PLAYLIST_TOO_LARGE'), 'E_PLAYLIST_TOO_LARGE');
      assert.equal(lastStatus()?.text, 'E_PLAYLIST_TOO_LARGE');
      writeFileSync(path.join(out, 'ok.ts'), Buffer.alloc(4000, 9));
      writePlaylist(
        out,
        mediaPlaylist(0, [
          ['huge.ts', 2],
          ['ok.ts', 2],
        ]),
      );
      await until(() => segmentsOf().length === 1, 'segment after recovery');
      assert.deepEqual([segmentsOf()[0].segment.uri, segmentsOf()[0].segment.sequence], ['ok.ts', 1]);
      assert.equal(lastStatus()?.fill, 'green');
      assert.deepEqual(errorCodes(), ['E_SEGMENT_TOO_LARGE', 'E_PLAYLIST_TOO_LARGE']);
    });

    it('a symlink pointing outside the folder → E_PATH_OUTSIDE, never read; the next segment recovers', async () => {
      const out = path.join(work, 'symlink');
      const secret = path.join(work, 'secret.bin');
      mkdirSync(out);
      writeFileSync(secret, 'not yours');
      symlinkSync(secret, path.join(out, 'a.ts'));
      await load({ path: out });
      writePlaylist(out, mediaPlaylist(0, [['a.ts', 2]]));
      await until(() => errorCodes().includes('E_PATH_OUTSIDE'), 'E_PATH_OUTSIDE');
      assert.equal(segmentsOf().length, 0);
      assert.equal(lastStatus()?.fill, 'red');
      writeFileSync(path.join(out, 'b.ts'), Buffer.alloc(100, 1));
      writePlaylist(
        out,
        mediaPlaylist(0, [
          ['a.ts', 2],
          ['b.ts', 2],
        ]),
      );
      await until(() => segmentsOf().length === 1, 'segment after recovery');
      assert.equal(segmentsOf()[0].segment.sequence, 1);
      assert.equal(lastStatus()?.fill, 'green');
    });

    it('a bad number in its config is an E_CONFIG at deploy (red status, logged), and a start command is refused with it', async () => {
      // Before #14 a poll interval of -5 silently ran at 250 ms.
      await load({ path: path.join(work, 'badnum'), pollInterval: -5 });
      // Raised while the flow starts, before the Catch and Status nodes exist: seen on the node itself.
      const node = helper.getNode('w1') as unknown as {
        status: { getCalls(): Array<{ args: Array<{ fill?: string; text?: string }> }> };
        error: { getCalls(): Array<{ args: unknown[] }> };
      };
      assert.deepEqual(node.status.getCalls().at(-1)?.args[0], { fill: 'red', shape: 'ring', text: 'E_CONFIG' });
      assert.match(String((node.error.getCalls()[0]?.args[0] as Error | undefined)?.message), /Poll interval/);
      helper.getNode('w1').receive({ topic: 'start' } as never);
      await until(() => errorCodes().includes('E_CONFIG'), 'E_CONFIG');
      assert.match(String(sinks.errors.find((e) => e.error.code === 'E_CONFIG')?.error.message), /Poll interval/);
      assert.equal(sinks.out.length, 0, 'nothing is watched');
    });

    it('an unknown command topic is a catchable E_BAD_COMMAND', async () => {
      await load({ path: path.join(work, 'cmd') });
      helper.getNode('w1').receive({ topic: 'explode' } as never);
      await until(() => errorCodes().includes('E_BAD_COMMAND'), 'E_BAD_COMMAND');
    });
  });

  it('stop / start / rescan inputs control the watcher without losing or repeating segments', async () => {
    const out = path.join(work, 'control');
    mkdirSync(out);
    // A second watcher of the same folder keeps running throughout: once it has seen a change, a
    // running w1 would have seen it too, so w1's silence is checked against a real event, not a delay.
    await helper.load([hlsWatch as never, sinkModule as never], [...flowFor({ path: out }), ...witnessFlow(out)] as never);
    const w1 = helper.getNode('w1');
    const handled = (topic: string): number => sinks.handled.filter((m) => m.topic === topic).length;
    const witnessed = (uri: string): boolean => sinks.witness.some((m) => m.topic === 'segment' && m.segment.uri === uri);
    writeFileSync(path.join(out, 'a.ts'), Buffer.alloc(100, 1));
    writePlaylist(out, mediaPlaylist(0, [['a.ts', 2]]));
    await until(() => segmentsOf().length === 1, 'a');
    w1.receive({ topic: 'stop' } as never);
    await until(() => handled('stop') === 1, 'stop handled');
    assert.equal(lastStatus()?.text, 'hls-watch.status.stopped');
    writeFileSync(path.join(out, 'b.ts'), Buffer.alloc(100, 2));
    writePlaylist(
      out,
      mediaPlaylist(0, [
        ['a.ts', 2],
        ['b.ts', 2],
      ]),
    );
    await until(() => witnessed('b.ts'), 'the witness to see b.ts');
    assert.equal(segmentsOf().length, 1, 'nothing while stopped');
    w1.receive({ topic: 'start' } as never);
    await until(() => segmentsOf().length === 2, 'b after start');
    w1.receive({ topic: 'rescan' } as never);
    // done() of the rescan: every playlist has been read again and applied.
    await until(() => handled('rescan') === 1, 'rescan handled');
    assert.deepEqual(
      segmentsOf().map((m) => [m.segment.uri, m.segment.sequence]),
      [
        ['a.ts', 0],
        ['b.ts', 1],
      ],
    );
    assert.deepEqual(errorCodes(), []);
  });

  it('redeploy mid-stream (helper.setFlows) resumes from the state file: no duplicates, no losses', async () => {
    const out = path.join(work, 'redeploy');
    const description = fixtureJson('ts-multi');
    const config = { path: path.join(out, description.master as string) };
    await load(config);
    const enc = encoder({ fixture: path.join(FIXTURES, 'ts-multi'), outDir: out, speed: 10, segments: 14, listSize: 6 });
    await enc.start();
    await until(() => segmentsOf().length >= 6, 'some segments');
    await helper.setFlows(flowFor({ ...config, name: 'redeployed' }) as never, 'full');
    assert.ok(existsSync(path.join(userDir, 'relaycast', 'hls-watch', 'w1.json')), 'state file under userDir');
    await until(() => segmentsOf().length >= 12, 'segments after the first redeploy');
    await helper.setFlows(flowFor(config) as never, 'full');
    await enc.finished();
    await until(() => ['0', '1', '2'].every((id) => lifecycles(id).includes('ended')), 'ended');
    for (const id of ['0', '1', '2']) {
      const written = enc.written.filter((w) => w.rendition === id);
      const got = segmentsOf(id);
      assert.deepEqual(
        got.map((m) => m.segment.encoderSequence),
        written.map((w) => w.sequence),
        `rendition ${id} order`,
      );
      assert.deepEqual(
        got.map((m) => m.segment.sha256),
        written.map((w) => w.sha256),
      );
      assert.deepEqual(
        got.map((m) => m.segment.sequence),
        written.map((_, i) => i),
      );
      assert.deepEqual(
        got.map((m) => m.segment.discontinuity),
        written.map((w) => w.discontinuity),
        'only the fixture wraps, no redeploy discontinuity',
      );
      assert.deepEqual(lifecycles(id), ['started', 'ended']);
    }
    assert.deepEqual(errorCodes(), []);
  });

  it('close releases every watcher: no fs watch handles left and no msgs after close', async () => {
    const fsHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap' || r === 'StatWatcher').length;
    const before = fsHandles();
    const out = path.join(work, 'close');
    await load({ path: path.join(out, 'master.m3u8') });
    const enc = encoder({ fixture: path.join(FIXTURES, 'ts-multi'), outDir: out, speed: 20, segments: 30 });
    await enc.start();
    await until(() => segmentsOf().length >= 3, 'some segments');
    assert.ok(fsHandles() > before, 'the node watches while deployed');
    await helper.setFlows([{ id: 'tab1', type: 'tab', label: 'empty' }] as never, 'full');
    const count = sinks.out.length;
    const statusCount = sinks.statuses.length;
    const writtenAtClose = enc.written.length;
    // libuv closes a handle on its next turn: wait for that, not for a fixed time.
    await until(() => fsHandles() === before, 'fs watchers released', 5000);
    assert.equal(existsSync(path.join(userDir, 'relaycast', 'hls-watch', 'w1.json')), false, 'a deleted node forgets its progress');
    // A new watcher of the same folder sees segments the encoder wrote after the close; the closed
    // node, had anything of it survived, would have sent those too.
    await helper.setFlows(witnessFlow(path.join(out, 'master.m3u8')) as never, 'full');
    const writtenAfterClose = (m: SegmentMsg | GapMsg | LifecycleMsg): boolean =>
      m.topic === 'segment' && enc.written.findIndex((w) => w.rendition === m.segment.rendition && w.sequence === m.segment.encoderSequence) >= writtenAtClose;
    await until(() => sinks.witness.filter(writtenAfterClose).length >= 3, 'the witness to see segments written after the close');
    assert.equal(sinks.out.length, count, 'no msgs after close');
    assert.ok(sinks.statuses.length <= statusCount + 1);
    assert.ok(enc.written.length > segmentsOf().length, 'the encoder kept writing');
  });

  it('loads the example flow with its core nodes', async () => {
    const flow = JSON.parse(readFileSync(path.resolve(__dirname, '../../flows/01 - Watch an encoder folder.json'), 'utf8')) as Record<string, unknown>[];
    const watchNode = flow.find((n) => n.type === 'relaycast-hls-watch')!;
    watchNode.path = path.join(work, 'example');
    const core = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js'].map((f) =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- Node-RED's core nodes are CommonJS files found at run time
      require(require.resolve(`@node-red/nodes/core/${f}`, { paths: [path.dirname(require.resolve('node-red'))] })),
    );
    await helper.load([distNode('pipeline'), hlsWatch, ...core] as never, flow as never);
    assert.ok(helper.getNode(watchNode.id as string));
  });
});
