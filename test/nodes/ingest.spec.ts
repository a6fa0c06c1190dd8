// relaycast-ingest in a real Node-RED runtime, with a real ffmpeg publishing as OBS does (RTMP,
// FLV, H.264 with 2 s keyframes, AAC): ingest writes live HLS into a folder, hls-watch turns it
// into segment msgs, r2-upload stores them in a real local S3 server and manifest serves them.
// Every served playlist version must pass the RFC 8216 validator and every stored segment must be
// byte-identical to what the ingest's ffmpeg wrote. A wrong key is refused (coded, on the output
// and to a Catch node) with nothing written; a reconnect continues the stream with a
// discontinuity; closing the flow kills the ingest's ffmpeg.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { PlaylistHistory, errorsOf, formatViolations, parseMediaPlaylist } from '../../devtools/hls-validator';
import { freePort } from '../support/free-port';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';
import { publishRtmp, type Publisher } from '../support/rtmp-publisher';
import { until } from '../support/until';
import { fetchBytes, sha256 } from '../unit/upload/support/harness';

type Msg = Record<string, any>;
const KEY = 'spec-stream-key-0123456789';

/** The ingest's ffmpeg processes (children of this process listening for RTMP). */
function ingestFfmpegPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'ffmpeg .*-listen 1'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('relaycast-ingest: OBS over RTMP → HLS folder → hls-watch → r2-upload → manifest (Node-RED runtime, real ffmpeg)', function () {
  this.timeout(120_000);
  let s3: LocalS3;
  let httpNode: HttpNodeServer;
  let dir: string;
  let out: string;
  let port: number;
  const publishers: Publisher[] = [];

  before(async () => {
    s3 = await startLocalS3({ bucket: 'live' });
    httpNode = await startHttpNodeServer();
  });
  after(async () => {
    await httpNode.stop();
    await s3.stop();
  });
  beforeEach(async () => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'relaycast-ingest-')));
    out = path.join(dir, 'obs');
    port = await freePort();
    helper.settings({ userDir: path.join(dir, 'userdir') });
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.stop();
    await helper.unload();
    helper.settings({});
    rmSync(dir, { recursive: true, force: true });
  });

  async function load(): Promise<{ events: Msg[]; caught: Msg[]; segments: Msg[]; lifecycle: Msg[]; history: PlaylistHistory; violations: string[] }> {
    const flow = [
      { id: 'tab', type: 'tab', label: 'ingest' },
      { id: 'in1', type: 'relaycast-ingest', z: 'tab', path: out, bind: '127.0.0.1', port, mode: 'copy', segmentSeconds: 2, listSize: 10, wires: [['ev']] },
      { id: 'ev', type: 'helper', z: 'tab' },
      {
        id: 'w1',
        type: 'relaycast-hls-watch',
        z: 'tab',
        path: out,
        stream: 'obs',
        renditions: 'all',
        pollInterval: 100,
        maxSegmentMB: 64,
        wires: [['u1', 'seg']],
      },
      { id: 'seg', type: 'helper', z: 'tab' },
      {
        id: 'b1',
        type: 'relaycast-r2-bucket',
        z: 'tab',
        provider: 's3',
        endpoint: s3.endpoint,
        region: 'auto',
        bucket: s3.bucket,
        publicBaseUrl: s3.publicBaseUrl,
        keyPrefix: 'obs',
        forcePathStyle: true,
      },
      { id: 'u1', type: 'relaycast-r2-upload', z: 'tab', bucket: 'b1', concurrency: 4, maxAttempts: 3, attemptTimeout: 5, keepAll: true, wires: [['m1']] },
      // A reconnect within the grace continues the presentation.
      { id: 'm1', type: 'relaycast-manifest', z: 'tab', windowSegments: 6, targetDuration: 0, dvr: true, gapMode: 'gap', endGraceSeconds: 60, wires: [['pl']] },
      { id: 'pl', type: 'helper', z: 'tab' },
      { id: 'c1', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    const credentials = { in1: { streamKey: KEY }, b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    await helper.load(
      [distNode('ingest'), distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload'), httpNode.capture(distNode('manifest'))] as never,
      flow as never,
      credentials as never,
    );
    const seen = {
      events: [] as Msg[],
      caught: [] as Msg[],
      segments: [] as Msg[],
      lifecycle: [] as Msg[],
      history: new PlaylistHistory({ requireAbsoluteUris: true }),
      violations: [] as string[],
    };
    helper.getNode('ev').on('input', (msg: Msg) => seen.events.push(msg.payload));
    helper.getNode('caught').on('input', (msg: Msg) => seen.caught.push(msg.error));
    helper
      .getNode('seg')
      .on('input', (msg: Msg) => (msg.topic === 'segment' ? seen.segments : seen.lifecycle).push(msg.topic === 'segment' ? msg.segment : msg.payload));
    helper.getNode('pl').on('input', (msg: Msg) => {
      if (msg.playlist.rendition === null) return;
      const found = errorsOf(seen.history.push(msg.payload));
      if (found.length > 0) seen.violations.push(`${msg.payload}\n${formatViolations(found)}`);
    });
    return seen;
  }

  /** Loads the flow and waits until the ingest listens (its status says so once its port is bound). */
  async function loadListening(): Promise<Awaited<ReturnType<typeof load>>> {
    const statuses: string[] = [];
    const loading = load();
    const seen = await loading;
    (helper.getNode('in1') as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: Array<{ text?: string }> }) =>
      statuses.push(String(call.args[0]?.text)),
    );
    await until(
      () => statuses.some((t) => /listening|waiting for OBS/.test(t)),
      'the ingest to listen',
      20_000,
      20,
      () => statuses.join(', '),
    );
    return seen;
  }

  it('a wrong key is refused, coded and audited, and nothing is written', async () => {
    const seen = await loadListening();
    const wrong = publishRtmp(`rtmp://127.0.0.1:${port}/live/not-the-right-key-at-all`, 4);
    publishers.push(wrong);
    await until(() => seen.events.some((e) => e.event === 'refused' && e.code === 'E_INGEST_KEY'), 'a refused event with E_INGEST_KEY');
    await until(() => seen.caught.some((e) => e.code === 'E_INGEST_KEY'), 'E_INGEST_KEY at the Catch node');
    assert.notEqual(await wrong.exited, 0, 'the publisher saw its publish fail');
    const written = existsSync(out) ? readdirSync(out, { recursive: true }) : [];
    assert.deepEqual(written, [], 'no playlist and no segment for a wrong key');
    assert.ok(!JSON.stringify(seen.caught).includes(KEY) && !JSON.stringify(seen.events).includes(KEY), 'the key is in no msg');
    assert.deepEqual(seen.segments, []);
  });

  it('a publish becomes a live stream: segments stored byte for byte, valid playlists; a reconnect continues with a discontinuity; close kills ffmpeg', async () => {
    const seen = await loadListening();
    const first = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 7);
    publishers.push(first);
    await until(() => seen.events.some((e) => e.event === 'publishing'), 'the publish to start');
    await until(() => seen.segments.length >= 2, 'two segments from hls-watch', 30_000, 50);
    assert.equal(await first.exited, 0, first.stderr());
    await until(() => seen.events.some((e) => e.event === 'ended'), 'the publish to end');
    const firstSession = seen.segments[0]!.session;

    // OBS reconnects: a fresh ffmpeg, a new session, one discontinuity, the sequence carries on.
    const second = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 30);
    publishers.push(second);
    await until(() => seen.segments.some((s) => s.session !== firstSession), 'a segment of the reconnected publish', 30_000, 50);
    const resumed = seen.segments.find((s) => s.session !== firstSession)!;
    assert.equal(resumed.discontinuity, true);
    assert.ok(
      seen.lifecycle.some((l) => l.event === 'restarted'),
      'hls-watch saw the restart',
    );
    const sequences = seen.segments.map((s) => s.sequence);
    assert.deepEqual(
      sequences,
      sequences.map((_, i) => sequences[0] + i),
      'the sequence keeps rising by one',
    );

    // While live: the served playlist lists what ffmpeg wrote, byte for byte.
    await until(() => seen.segments.filter((s) => s.session === resumed.session).length >= 2, 'two segments after the reconnect', 30_000, 50);
    const res = await fetch(`${httpNode.base}/live/obs/main.m3u8`);
    assert.equal(res.status, 200);
    const served = parseMediaPlaylist(await res.text());
    assert.ok(served.segments.length >= 3);
    for (const segment of served.segments) {
      const stored = await fetchBytes(segment.uri);
      assert.equal(stored.status, 200, segment.uri);
      const match = seen.segments.find((s) => sha256(stored.bytes) === s.sha256);
      assert.ok(match, `${segment.uri} is a segment hls-watch read`);
      if (existsSync(match.path)) assert.equal(sha256(readFileSync(match.path)), sha256(stored.bytes), `${match.path}: bytes`);
    }
    assert.ok(
      served.segments.some((s) => s.discontinuity),
      'the served playlist marks the discontinuity',
    );
    assert.deepEqual(seen.violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      [],
    );

    // A second publisher while one is live is refused.
    const intruder = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 3);
    publishers.push(intruder);
    await until(() => seen.events.some((e) => e.event === 'refused' && e.code === 'E_INGEST_BUSY'), 'the second publisher refused');

    // Close (a redeploy or Node-RED stopping): the ingest's ffmpeg goes with it.
    const pids = ingestFfmpegPids();
    assert.equal(pids.length, 1, 'one ffmpeg serving the publish');
    await helper.unload();
    await until(() => ingestFfmpegPids().length === 0, 'the ingest ffmpeg to be gone');
  });
});
