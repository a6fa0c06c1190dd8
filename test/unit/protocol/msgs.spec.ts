// The msg schemas (lib/protocol/msgs/) against what the pipeline really emits: hls-watch over the
// demo encoder, r2-upload's outputs, manifest's playlist msgs, signaling's receipts and stats, the
// supporter's stats; and each receiving node refusing a bad msg with its own code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import * as v from 'valibot';
import { DemoEncoder } from '../../../devtools/demo-encoder';
import { RelaycastError } from '../../../lib/errors';
import { HlsWatcher } from '../../../lib/hls-watch/watcher';
import type { WatchMsg } from '../../../lib/hls-watch/rendition-tracker';
import { MemoryStateStore } from '../../../lib/hls-watch/state-store';
import { ManifestCore, playlistMsg } from '../../../lib/manifest';
import { readSegmentMsg } from '../../../lib/manifest/input';
import { parseReceipt, publishedSegmentFromMsg } from '../../../lib/payout/msg-input';
import {
  FileMsgSchema,
  GapMsgSchema,
  LifecycleMsgSchema,
  PlaylistMsgSchema,
  ReceiptMsgSchema,
  SegmentMsgSchema,
  SignalingStatsMsgSchema,
  SupporterStatsMsgSchema,
} from '../../../lib/protocol/msgs';
import { announcementFromMsg } from '../../../lib/signaling/announcements';
import { playlistFromMsg } from '../../../lib/signaling/playlists';
import { parseSettings } from '../../../lib/supporter/config';
import { Supporter } from '../../../lib/supporter/supporter';
import { parseUploadInput } from '../../../lib/upload/input';
import { initKey, publicUrl, segmentKey } from '../../../lib/upload/keys';
import type { UploadOutcome, UploadReport } from '../../../lib/upload/uploader';
import { outputFor } from '../../../nodes/r2-upload/output';
import { harness } from '../signaling/harness';
import { FakePlatform, FakeSignalingServer, Origin } from '../peer/fakes';
import { tempDirPerTest } from '../hls-watch/helpers';
import { until } from '../../support/until';

const FIXTURES = path.resolve(__dirname, '../../fixtures/hls');
const BASE = 'https://pub.example.test/media';
const REPORT = { attempts: 1, retries: 0, elapsedMs: 1, counters: {} } as unknown as UploadReport;

const accepts = (schema: v.GenericSchema, value: unknown, what: string): void => {
  const result = v.safeParse(schema, value);
  assert.ok(result.success, `${what}: ${JSON.stringify(result.issues?.map((i) => [i.path?.map((p) => p.key).join('.'), i.message]))}`);
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof RelaycastError ? err.code : `not a RelaycastError: ${String(err)}`;
  }
  return undefined;
};

/** A copy as Node-RED makes one for a second wire (RED.util.cloneMessage keeps Buffers). */
const copy = (msg: WatchMsg & { topic: 'segment' }): Record<string, unknown> => ({
  ...msg,
  segment: { ...msg.segment },
  ...(msg.init ? { init: { ...msg.init } } : {}),
});

/** What r2-upload sends on once a segment msg is stored: the same msg, with key and url. */
function stored(msg: WatchMsg & { topic: 'segment' }): Record<string, unknown> {
  const key = segmentKey('', { ...msg.segment });
  const outcome: UploadOutcome = {
    status: 'stored',
    kind: 'segment',
    object: { key, url: publicUrl(BASE, key), attempts: 1 },
    report: REPORT,
    ...(msg.init ? { init: { key: initKey('', msg.segment, msg.init), url: publicUrl(BASE, initKey('', msg.segment, msg.init)), attempts: 1 } } : {}),
  };
  return outputFor(copy(msg), outcome)!;
}

describe('msg schemas: what the pipeline emits parses', function () {
  this.timeout(30_000);
  const open: HlsWatcher[] = [];
  const tmp = tempDirPerTest({ beforeRemoval: () => Promise.all(open.splice(0).map((w) => w.close())) });

  /** Every msg hls-watch sends for a fixture replayed by the demo encoder, up to its ENDLIST. */
  async function hlsWatchMsgs(fixture: string): Promise<WatchMsg[]> {
    const out = path.join(tmp.dir, fixture);
    const msgs: WatchMsg[] = [];
    const watcher = new HlsWatcher(
      { path: out, stream: 'cam', stateStore: new MemoryStateStore(), checkIntervalMs: 100 },
      { onMessage: (m) => msgs.push(m), onError: () => undefined },
    );
    open.push(watcher);
    await watcher.start();
    const encoder = new DemoEncoder({ fixture: path.join(FIXTURES, fixture), outDir: out, speed: 40 });
    await encoder.start();
    await encoder.finished();
    const renditions = (JSON.parse(readFileSync(path.join(FIXTURES, fixture, 'fixture.json'), 'utf8')) as { renditions: unknown[] }).renditions.length;
    await until(() => msgs.filter((m) => m.topic === 'lifecycle' && m.payload.event === 'ended').length === renditions, 'ended');
    return msgs;
  }

  for (const fixture of ['fmp4-single', 'ts-multi']) {
    it(`${fixture}: hls-watch's msgs, r2-upload's outputs and manifest's playlist msgs, in every node that reads them`, async () => {
      const msgs = await hlsWatchMsgs(fixture);
      const segments = msgs.filter((m): m is WatchMsg & { topic: 'segment' } => m.topic === 'segment');
      assert.ok(segments.length > 3 && msgs.some((m) => m.topic === 'lifecycle'), 'segments and lifecycle msgs');
      if (fixture === 'fmp4-single')
        assert.ok(
          segments.every((m) => m.init),
          'fMP4 segments carry their init',
        );
      if (fixture === 'ts-multi')
        assert.ok(
          segments.every((m) => m.segment.variant && m.segment.renditions?.length === 3),
          'variants and layout',
        );

      const core = new ManifestCore({});
      const playlists: unknown[] = [];
      for (const msg of msgs) {
        accepts(msg.topic === 'segment' ? SegmentMsgSchema : msg.topic === 'gap' ? GapMsgSchema : LifecycleMsgSchema, msg, `hls-watch ${msg.topic}`);
        assert.doesNotThrow(() => parseUploadInput(msg as unknown as Record<string, unknown>), 'r2-upload takes it');
        const forward = msg.topic === 'segment' ? stored(msg) : msg;
        if (msg.topic === 'segment') {
          accepts(SegmentMsgSchema, forward, 'r2-upload segment output');
          assert.ok(announcementFromMsg(forward), 'signaling announces it');
          assert.ok(publishedSegmentFromMsg(forward), 'payout records it');
          // A failed upload: r2-upload's gap msg in the segment's place.
          accepts(
            GapMsgSchema,
            outputFor(copy(msg), { status: 'failed', error: new RelaycastError('E_UPLOAD', 'refused'), report: REPORT }),
            'r2-upload gap output',
          );
        }
        const update = core.apply(forward);
        for (const p of [...update.media, ...(update.master ? [update.master] : [])]) {
          playlists.push(
            playlistMsg(
              p,
              `cam/${p.rendition ?? 'master'}.m3u8`,
              p.rendition !== null && msg.topic === 'segment' ? ((forward as Record<string, unknown>).segment as never) : undefined,
            ),
          );
        }
      }
      assert.ok(playlists.length > segments.length, 'a playlist msg per new version');
      for (const msg of playlists) {
        accepts(PlaylistMsgSchema, msg, 'manifest playlist msg');
        accepts(FileMsgSchema, msg, 'a file r2-upload can publish');
        assert.equal(parseUploadInput(msg as Record<string, unknown>).kind, 'object', 'r2-upload publishes it');
        assert.ok(playlistFromMsg(msg as never), 'signaling pushes it');
        assert.doesNotThrow(() => announcementFromMsg(msg as never));
        assert.doesNotThrow(() => publishedSegmentFromMsg(msg as never));
      }
      // A later presentation (after an ENDLIST) travels in the playlist msg.
      const last = playlists.at(-1) as { playlist: object };
      accepts(PlaylistMsgSchema, { ...last, playlist: { ...last.playlist, presentation: 2 } }, 'presentation');
    });
  }

  it("signaling's receipt msgs parse in payout, and its stats msgs in their schema", () => {
    const h = harness({ networkTagKey: 'k' });
    h.announce(1, 'live', '720p', 5000);
    const up = h.join('live', '720p', '192.0.2.10');
    const down = h.join('live', '720p', '198.51.100.20');
    h.negotiate(down, up);
    h.announce(2, 'live', '720p', 5000);
    h.deliver(up, down, 2, 4200);
    h.send(down, { type: 'stats', httpBytes: 10, p2pBytes: 5000, uploadedBytes: 0, stalls: 0, peers: 1, latencyMs: 900 });
    assert.equal(h.receipts.length, 1);
    const msg = { topic: 'receipt', payload: h.receipts[0] };
    accepts(ReceiptMsgSchema, msg, 'receipt msg');
    const booked = parseReceipt(msg.payload);
    assert.deepEqual([booked.bytes, booked.receivedAt, booked.uploader.network], [4200, Date.parse(h.receipts[0].receivedAt), h.receipts[0].uploader.network]);
    const stats = h.c.stats();
    assert.equal(stats.audience.length, 1);
    accepts(SignalingStatsMsgSchema, { topic: 'stats', payload: stats }, 'signaling stats msg');
  });

  it("the supporter's stats msgs parse in their schema, idle and refused", async () => {
    const server = new FakeSignalingServer();
    const origin = new Origin();
    server.coordinator.announce({
      stream: 'live',
      rendition: 'main',
      sequence: 0,
      url: 'https://r2.example/0.ts',
      size: 10,
      sha256: '0'.repeat(64),
      duration: 2,
    });
    const s = new Supporter({
      platform: new FakePlatform(server, origin),
      token: 'not-a-valid-token-xxxxxx',
      settings: parseSettings({ signalingUrl: 'ws://test/signal', swarms: 'live/main' }),
    });
    try {
      accepts(SupporterStatsMsgSchema, { topic: 'stats', payload: s.stats() }, 'idle supporter');
      s.start();
      await until(() => s.stats().refused !== undefined, 'refused (no token list)');
      accepts(SupporterStatsMsgSchema, { topic: 'stats', payload: s.stats() }, 'refused supporter');
    } finally {
      s.close();
    }
  });
});

describe('msg schemas: each receiver refuses a bad msg with its own code', () => {
  const segment = {
    stream: 'live',
    rendition: '720p',
    session: 's1',
    encoderSequence: 4,
    sequence: 104,
    duration: 2,
    byteLength: 1,
    sha256: '0'.repeat(64),
    uri: 'seg4.ts',
    path: '/tmp/seg4.ts',
    contentType: 'video/mp2t',
    discontinuity: false,
    url: 'https://pub.example.test/live/720p/s1/104.ts',
  };
  const receipt = {
    id: 'live/720p/104/x',
    stream: 'live',
    rendition: '720p',
    sequence: 104,
    sha256: '0'.repeat(64),
    segmentSize: 1,
    bytes: 1,
    uploader: { peer: 'up', role: 'supporter', supporter: 'alice' },
    downloader: { peer: 'down', role: 'viewer' },
    receivedAt: '2026-12-01T00:00:00Z',
  };
  const receivers = (s: Record<string, unknown>) => ({
    'r2-upload': () =>
      parseUploadInput({
        topic: 'segment',
        payload: Buffer.from('x'),
        segment: { ...s, sha256: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881' },
      }),
    manifest: () => readSegmentMsg({ topic: 'segment', segment: s }),
    signaling: () => announcementFromMsg({ topic: 'segment', segment: s }),
    'signaling playlist': () =>
      playlistFromMsg({ topic: 'playlist', payload: '#EXTM3U\n', playlist: { stream: s.stream, rendition: s.rendition, ended: false } }),
    'payout segment': () => publishedSegmentFromMsg({ topic: 'segment', segment: s }),
    'payout receipt': () => parseReceipt({ ...receipt, stream: s.stream, rendition: s.rendition }),
  });
  const CODES = {
    'r2-upload': 'E_UPLOAD_INPUT',
    manifest: 'E_MANIFEST_BAD_ID',
    signaling: 'E_SIGNAL_INPUT',
    'signaling playlist': 'E_SIGNAL_INPUT',
    'payout segment': 'E_PAYOUT_SEGMENT',
    'payout receipt': 'E_PAYOUT_RECEIPT',
  };

  it('a good segment passes them all', () => {
    for (const [name, receive] of Object.entries(receivers(segment))) assert.equal(codeOf(receive), undefined, name);
  });

  for (const bad of ['..', '.', 'a/b', 'has space', '', 'x'.repeat(65)]) {
    it(`stream or rendition ${JSON.stringify(bad).slice(0, 12)} → each receiver's code`, () => {
      for (const field of ['stream', 'rendition']) {
        for (const [name, receive] of Object.entries(receivers({ ...segment, [field]: bad }))) {
          assert.equal(codeOf(receive), CODES[name as keyof typeof CODES], `${name} ${field}`);
        }
      }
    });
  }

  it('names the field and what it got in the message', () => {
    assert.throws(() => readSegmentMsg({ segment: { ...segment, duration: 7200 } }), {
      code: 'E_MANIFEST_BAD_MSG',
      message: 'msg.segment.duration must be seconds > 0 and ≤ 3600, got 7200',
    });
    assert.throws(() => readSegmentMsg({ segment: { ...segment, url: undefined } }), {
      code: 'E_MANIFEST_NO_URL',
      message: 'msg.segment.url is missing: manifest lists only stored objects (wire it after r2-upload)',
    });
    assert.throws(() => parseReceipt({ ...receipt, uploader: { ...receipt.uploader, role: 'admin' } }), {
      code: 'E_PAYOUT_RECEIPT',
      message: /^receipt\.uploader\.role must be/,
    });
  });
});

describe('msg schemas: browser-safe', () => {
  it('bundle for the browser without Node built-ins', async () => {
    // esbuild cannot resolve node:* modules on the browser platform: an import of one fails the build.
    const result = await build({
      entryPoints: [path.resolve(__dirname, '../../../lib/protocol/msgs/index.ts')],
      bundle: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    assert.equal(result.errors.length, 0);
    assert.doesNotMatch(result.outputFiles[0].text, /require\("(node:)?(crypto|fs|path|buffer)"\)/);
  });
});
