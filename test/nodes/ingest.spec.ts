// relaycast-ingest in a real Node-RED runtime, with a real ffmpeg publishing as OBS does (RTMP
// with FLV, or SRT with MPEG-TS and a passphrase; H.264 with 2 s keyframes, AAC): ingest writes
// live HLS into a folder and sends hls-watch's segment msgs on its output 1 (publish events on
// output 2), r2-upload stores them in a real local S3 server and manifest serves them. Each
// segment msg's bytes are those of the file ffmpeg wrote, and the msgs are those an hls-watch on
// the same folder sends. A flow saved before the ingest had a stream id (ingest wired to an
// hls-watch on its folder) keeps working, and SRT garbage leaves the node serving. Every served playlist version must pass the RFC 8216
// validator and every stored segment must be byte-identical to what the ingest's ffmpeg wrote. A
// wrong key or passphrase is refused (coded, on the output and to a Catch node) with nothing
// written; a reconnect continues the stream with a discontinuity; two streams run at once; the
// ladder's master lists three renditions with measured BANDWIDTH; closing the flow kills ffmpeg.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { PlaylistHistory, errorsOf, formatViolations, parseMediaPlaylist } from '../../devtools/hls-validator';
import { roundUpSignificant } from '../../lib/manifest/bandwidth';
import { freePort, freeUdpPort } from '../support/free-port';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';
import { publishRtmp, publishSrt, type Publisher } from '../support/rtmp-publisher';
import { until } from '../support/until';
import { fetchBytes, sha256 } from '../unit/upload/support/harness';

type Msg = Record<string, any>;
const KEY = 'spec-stream-key-0123456789';
const PASSPHRASE = 'spec-srt-passphrase-9876';

/** One ingest node of the flow. */
interface IngestCase {
  id: string;
  out: string;
  port: number;
  stream: string;
  /**
   * As saved before the ingest had a stream id: one output, wired to an hls-watch on its folder
   * (with `stream`), which feeds r2-upload instead.
   */
  legacy?: boolean;
  /** Also an hls-watch on the same folder, under this stream id, feeding only the `twin` helper. */
  twin?: string;
  srtPort?: number;
  mode?: 'copy' | 'ladder';
  ladder?: string;
}

/** The command lines of this process's children (the ingest's ffmpeg runs, the publishers). */
function childCmdlines(): string[] {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
  return pids.flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')];
    } catch {
      return []; // exited meanwhile
    }
  });
}

/** The ingest's ffmpeg processes (children of this process listening for RTMP). */
/**
 * The ingest ffmpeg processes of this runtime (children of this process listening for RTMP); with
 * `writingTo`, only those writing into that folder: a previous case's ffmpeg may still be exiting
 * after its node closed, and must not be taken for this case's.
 */
function ingestFfmpegPids(writingTo?: string): number[] {
  try {
    return execFileSync('pgrep', ['-a', '-P', String(process.pid), '-f', 'ffmpeg .*-listen 1'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line && (writingTo === undefined || line.includes(writingTo)))
      .map((line) => Number(line.split(' ')[0]));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Waits until the node's status texts (catalog keys in the test runtime) include `key`. */
function untilStatus(statuses: string[], key: string, what: string): Promise<void> {
  return until(
    () => statuses.some((t) => t.includes(key)),
    what,
    10_000,
    20,
    () => statuses.join(', '),
  );
}

describe('relaycast-ingest: OBS over RTMP or SRT → ingest (HLS folder and the hls-watch core) → r2-upload → manifest (Node-RED runtime, real ffmpeg)', function () {
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

  /** The default case: one RTMP ingest, stream "obs". */
  const single = (): IngestCase[] => [{ id: 'in1', out, port, stream: 'obs' }];

  async function load(ingests: IngestCase[] = single()) {
    const flow: Array<Record<string, unknown>> = [{ id: 'tab', type: 'tab', label: 'ingest' }];
    const watch = (id: string, c: IngestCase, stream: string, wires: string[]) => ({
      id,
      type: 'relaycast-hls-watch',
      z: 'tab',
      path: c.out,
      stream,
      renditions: 'all',
      pollInterval: 100,
      maxSegmentMB: 64,
      wires: [wires],
    });
    for (const c of ingests) {
      flow.push(
        {
          id: c.id,
          type: 'relaycast-ingest',
          z: 'tab',
          path: c.out,
          ...(c.legacy ? {} : { stream: c.stream }),
          bind: '127.0.0.1',
          port: c.port,
          srt: c.srtPort !== undefined,
          srtPort: c.srtPort ?? '',
          srtLatency: 120,
          mode: c.mode ?? 'copy',
          ladder: c.ladder ?? '',
          segmentSeconds: 2,
          listSize: 10,
          // Output 1: segment msgs into r2-upload; output 2: publish events.
          wires: c.legacy ? [[`w-${c.id}`]] : [['u1', 'seg'], [`ev-${c.id}`]],
        },
        { id: `ev-${c.id}`, type: 'helper', z: 'tab' },
      );
      if (c.legacy) flow.push(watch(`w-${c.id}`, c, c.stream, ['u1', 'seg']));
      if (c.twin) flow.push(watch(`t-${c.id}`, c, c.twin, ['twin']));
    }
    flow.push(
      { id: 'seg', type: 'helper', z: 'tab' },
      { id: 'twin', type: 'helper', z: 'tab' },
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
    );
    const credentials: Record<string, unknown> = { b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    for (const c of ingests) credentials[c.id] = { streamKey: KEY, ...(c.srtPort !== undefined ? { srtPassphrase: PASSPHRASE } : {}) };
    await helper.load(
      [distNode('ingest'), distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload'), httpNode.capture(distNode('manifest'))] as never,
      flow as never,
      credentials as never,
    );
    const seen = {
      /** Publish events, each with the id of the ingest node that sent it. */
      events: [] as Msg[],
      caught: [] as Msg[],
      segments: [] as Msg[],
      lifecycle: [] as Msg[],
      /** The topic of every msg the segment output sent, in order. */
      topics: [] as string[],
      /** Per segment msg as it arrived: SHA-256 of its payload and of the file at segment.path (null: gone). */
      bytes: [] as Array<{ path: string; payload: string; file: string | null; declared: string; length: number }>,
      /** The twin hls-watch's segment msgs, with their payloads. */
      twin: [] as Msg[],
      /** Every playlist version manifest produced, one history per stream and rendition. */
      histories: new Map<string, PlaylistHistory>(),
      violations: [] as string[],
      statuses: new Map<string, string[]>(),
    };
    for (const c of ingests) {
      helper.getNode(`ev-${c.id}`).on('input', (msg: Msg) => seen.events.push({ ...msg.payload, node: c.id }));
      const statuses: string[] = [];
      seen.statuses.set(c.id, statuses);
      (helper.getNode(c.id) as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: Array<{ text?: string }> }) =>
        statuses.push(String(call.args[0]?.text)),
      );
    }
    helper.getNode('caught').on('input', (msg: Msg) => seen.caught.push(msg.error));
    helper.getNode('seg').on('input', (msg: Msg) => {
      seen.topics.push(msg.topic);
      if (msg.topic !== 'segment') return void seen.lifecycle.push(msg.payload);
      seen.segments.push(msg.segment);
      // Read as it arrives, while ffmpeg still lists (and keeps) the file.
      let file: string | null = null;
      try {
        file = sha256(readFileSync(msg.segment.path));
      } catch {
        // deleted by ffmpeg meanwhile
      }
      seen.bytes.push({ path: msg.segment.path, payload: sha256(msg.payload), file, declared: msg.segment.sha256, length: msg.payload.length });
    });
    helper.getNode('twin').on('input', (msg: Msg) => {
      if (msg.topic === 'segment') seen.twin.push({ ...msg.segment, payload: sha256(msg.payload) });
    });
    helper.getNode('pl').on('input', (msg: Msg) => {
      if (msg.playlist.rendition === null) return;
      const key = `${msg.playlist.stream}/${msg.playlist.rendition}`;
      if (!seen.histories.has(key)) seen.histories.set(key, new PlaylistHistory({ requireAbsoluteUris: true }));
      const found = errorsOf(seen.histories.get(key)!.push(msg.payload));
      if (found.length > 0) seen.violations.push(`${key}\n${msg.payload}\n${formatViolations(found)}`);
    });
    return seen;
  }

  /** Loads the flow and waits until every ingest listens (its status says so once its ports are bound). */
  async function loadListening(ingests: IngestCase[] = single()): Promise<Awaited<ReturnType<typeof load>>> {
    const seen = await load(ingests);
    for (const c of ingests) {
      const statuses = seen.statuses.get(c.id)!;
      await until(
        () => statuses.some((t) => /listening|waiting for OBS/.test(t)),
        `${c.id} to listen`,
        20_000,
        20,
        () => statuses.join(', '),
      );
    }
    return seen;
  }

  /**
   * The served media playlist of a stream's rendition lists only segments hls-watch read, stored
   * byte for byte as the ingest's ffmpeg wrote them (compared with the file while ffmpeg keeps it).
   */
  async function assertStoredAsWritten(
    seen: { segments: Msg[] },
    stream: string,
    rendition: string,
    minSegments: number,
  ): Promise<ReturnType<typeof parseMediaPlaylist>> {
    // Manifest lists a segment once r2-upload stored it, a moment after hls-watch sent it.
    let text = '';
    await until(
      async () => {
        const res = await fetch(`${httpNode.base}/live/${stream}/${rendition}.m3u8`);
        text = res.status === 200 ? await res.text() : '';
        return text !== '' && parseMediaPlaylist(text).segments.length >= minSegments;
      },
      `${stream}/${rendition}.m3u8 to list ${minSegments} segments`,
      20_000,
      100,
      () => text,
    );
    const served = parseMediaPlaylist(text);
    let comparedWithFile = 0;
    for (const segment of served.segments) {
      const stored = await fetchBytes(segment.uri);
      assert.equal(stored.status, 200, segment.uri);
      const match = seen.segments.find((s) => s.stream === stream && s.rendition === rendition && sha256(stored.bytes) === s.sha256);
      assert.ok(match, `${segment.uri} is a segment hls-watch read`);
      assert.equal(stored.bytes.length, match.byteLength);
      if (existsSync(match.path)) {
        assert.equal(sha256(readFileSync(match.path)), sha256(stored.bytes), `${match.path}: bytes`);
        comparedWithFile += 1;
      }
    }
    assert.ok(comparedWithFile > 0, `${stream}/${rendition}: some stored segment compared with ffmpeg's file`);
    return served;
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

  it("output 1 sends hls-watch's segment msgs, each payload the bytes ffmpeg wrote; output 2 the publish events", async () => {
    // The twin: an hls-watch on the same folder, as flows had it before, to compare msg for msg.
    const seen = await loadListening([{ id: 'in1', out, port, stream: 'obs', twin: 'twin' }]);
    const publisher = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 9);
    publishers.push(publisher);
    await until(() => seen.events.some((e) => e.event === 'publishing'), 'the publishing event on output 2');
    assert.equal(await publisher.exited, 0, publisher.stderr());
    await until(() => seen.events.some((e) => e.event === 'ended'), 'the ended event on output 2');
    // ffmpeg ends its playlist (EXT-X-ENDLIST) when the publish ends: the last segment and `ended` follow.
    await until(() => seen.lifecycle.some((l) => l.event === 'ended'), 'the lifecycle ended msg on output 1', 20_000, 50);
    assert.ok(seen.segments.length >= 3, `${seen.segments.length} segments`);

    // Output 1: hls-watch's msgs only, in its order; output 2: publish events only.
    assert.deepEqual([seen.topics[0], seen.topics.at(-1)], ['lifecycle', 'lifecycle']);
    assert.deepEqual(new Set(seen.topics), new Set(['lifecycle', 'segment']));
    assert.deepEqual(
      seen.events.map((e) => e.event),
      ['publishing', 'ended'],
    );
    assert.deepEqual(
      seen.segments.map((s) => s.sequence),
      seen.segments.map((_, i) => i),
    );

    // Byte for byte: each msg's payload is the file ffmpeg wrote, read from disk as the msg arrived.
    for (const b of seen.bytes) {
      assert.notEqual(b.file, null, `${b.path} still on disk when its msg arrived`);
      assert.equal(b.payload, b.file, `${b.path}: payload = file`);
      assert.equal(b.payload, b.declared, `${b.path}: segment.sha256`);
    }
    assert.equal(seen.bytes.length, seen.segments.length);

    // The same msgs as hls-watch on that folder sends (but for the stream id and the session id).
    await until(() => seen.twin.length >= seen.segments.length, "the twin hls-watch's segments", 20_000, 50);
    const comparable = (s: Msg) => {
      const { stream: _stream, session: _session, ...rest } = s;
      return rest;
    };
    assert.deepEqual(
      seen.segments.map((s, i) => ({ ...comparable(s), payload: seen.bytes[i]!.payload })),
      seen.twin.slice(0, seen.segments.length).map(comparable),
    );
    assert.ok(seen.segments.every((s) => s.stream === 'obs'));
    await assertStoredAsWritten(seen, 'obs', 'main', 3);
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      [],
    );
  });

  it('a flow saved before the stream id (ingest wired to an hls-watch on its folder) keeps working: the hls-watch sends the segments, the ingest none', async () => {
    const seen = await loadListening([{ id: 'in1', out, port, stream: 'obs', legacy: true }]);
    const publisher = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 7);
    publishers.push(publisher);
    await until(() => seen.segments.length >= 2, 'two segments from the hls-watch', 30_000, 50);
    assert.equal(await publisher.exited, 0, publisher.stderr());
    await until(() => seen.lifecycle.some((l) => l.event === 'ended'), "the hls-watch's ended msg", 20_000, 50);
    await assertStoredAsWritten(seen, 'obs', 'main', 2);
    // Anything the ingest sent on the wire to the hls-watch would be refused there (E_BAD_COMMAND) and caught.
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      [],
    );
    assert.deepEqual(seen.events, [], 'publish events leave output 2, unwired in such a flow');
    assert.ok(
      seen.bytes.every((b) => b.payload === b.file),
      'byte for byte',
    );
  });

  it("a problem of the segment output (its saved progress damaged) is said in the ingest's status with its code, beside the publish state", async () => {
    // The ingest keeps its hls-watch progress where hls-watch does: <userDir>/relaycast/hls-watch/<node id>.json.
    const stateFile = path.join(dir, 'userdir', 'relaycast', 'hls-watch', 'in1.json');
    mkdirSync(path.dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, '{ not json');
    const seen = await load();
    const statuses = seen.statuses.get('in1')!;
    // Raised while the flow starts, before Catch nodes listen (as for hls-watch): the log and the status say it.
    assert.ok(
      readdirSync(path.dirname(stateFile)).some((f) => f.startsWith('in1.json.bad-')),
      'the damaged file moved aside',
    );
    await until(
      () => statuses.some((t) => /waiting for OBS|listening/.test(t) && t.includes('E_WATCH_STATE')),
      'the status to say both',
      10_000,
      20,
      () => statuses.join(', '),
    );
  });

  it('SRT garbage (random datagrams, strays, a truncated handshake) leaves the node serving: a good RTMP publish is then live', async () => {
    const srtPort = await freeUdpPort();
    const seen = await loadListening([{ id: 'in1', out, port, stream: 'obs', srtPort }]);
    const statuses = seen.statuses.get('in1')!;
    const socket = dgram.createSocket('udp4');
    const send = (packet: Buffer) =>
      new Promise<void>((resolve, reject) => socket.send(packet, srtPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    const controlHandshake = (length: number, type: number) => {
      const packet = randomBytes(length);
      packet.writeUInt16BE(0x8000, 0); // a control packet, type handshake
      if (length >= 40) packet.writeInt32BE(type, 36);
      return packet;
    };
    try {
      for (let i = 0; i < 200; i += 1) await send(randomBytes(1 + ((i * 37) % 1400)));
      await send(randomBytes(4000)); // larger than any SRT packet
      await send(controlHandshake(20, 0)); // cut off before the handshake type
      await send(controlHandshake(64, 7)); // a handshake of no type SRT defines
      await send(controlHandshake(64, -1)); // a conclusion with no induction before it
      await send(Buffer.from([0x80, 0x05, 0, 0])); // a shutdown shorter than a header
    } finally {
      socket.close();
    }
    // The good publish is let through, so everything before it was read and dropped, none of it published.
    const publisher = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 7);
    publishers.push(publisher);
    await until(() => seen.events.some((e) => e.event === 'publishing' && e.protocol === 'rtmp'), 'the RTMP publish to start');
    await until(() => seen.segments.length >= 2, 'two segments', 30_000, 50);
    assert.equal(await publisher.exited, 0, publisher.stderr());
    await until(() => seen.events.some((e) => e.event === 'ended'), 'the publish to end');
    await assertStoredAsWritten(seen, 'obs', 'main', 2);
    assert.deepEqual(
      seen.events.map((e) => e.event),
      ['publishing', 'ended'],
      'no publish, refusal or error for the garbage: strays are dropped unread',
    );
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      [],
    );
    assert.ok(!statuses.some((t) => /E_/.test(t)), statuses.join(', '));
    assert.ok(
      seen.bytes.every((b) => b.payload === b.file),
      'byte for byte',
    );
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
    const served = await assertStoredAsWritten(seen, 'obs', 'main', 3);
    assert.ok(
      served.segments.some((s) => s.discontinuity),
      'the served playlist marks the discontinuity',
    );
    assert.deepEqual(seen.violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      [],
    );

    // OBS set as the README says (2 s keyframes): the status says they fit the segment length.
    assert.ok(
      seen.statuses.get('in1')!.some((t) => t.includes('ingest.status.keyframesFit')),
      seen.statuses.get('in1')!.join(', '),
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

  it("OBS's keyframe interval longer than the segment length: the status turns yellow and says what to set", async () => {
    const seen = await loadListening();
    const statuses = seen.statuses.get('in1')!;
    const calls: Array<{ fill?: string; text?: string }> = [];
    (helper.getNode('in1') as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: Array<{ fill?: string; text?: string }> }) =>
      calls.push(call.args[0] ?? {}),
    );
    const publisher = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 14, { size: '320x180', keyframeSeconds: 4 });
    publishers.push(publisher);
    // The test runtime shows catalog keys, not their text (the text: "segments of 4.0 s, not 2: set OBS's keyframe interval to 2 s").
    const misfit = /ingest\.status\.keyframesMisfit/;
    await until(
      () => statuses.some((t) => misfit.test(t)),
      'the status to say the keyframes do not fit',
      30_000,
      50,
      () => statuses.join(', '),
    );
    assert.equal(calls.find((c) => misfit.test(c.text ?? ''))?.fill, 'yellow');
    assert.ok(!statuses.some((t) => t.includes('ingest.status.keyframesFit')), 'never said to fit');
    // What ffmpeg cut: segments at the publisher's keyframes, 4 s each.
    await until(() => seen.segments.length >= 1, 'a segment from hls-watch', 30_000, 50);
    assert.ok(Math.abs(seen.segments[0]!.duration - 4) < 0.1, `segment of ${seen.segments[0]!.duration} s`);
  });

  it('ffmpeg killed mid-publish: a coded error, the status says so, and the next publish starts a fresh ffmpeg that continues the stream', async () => {
    const seen = await loadListening();
    const statuses = seen.statuses.get('in1')!;
    const first = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 30);
    publishers.push(first);
    await until(() => seen.segments.length >= 1, 'a segment of the first publish', 30_000, 50);
    const [pid] = ingestFfmpegPids(out);
    assert.ok(pid, 'the ingest ffmpeg runs');
    process.kill(pid, 'SIGKILL');
    await until(() => seen.caught.some((e) => e.code === 'E_INGEST_FFMPEG'), 'E_INGEST_FFMPEG at the Catch node');
    await untilStatus(statuses, 'ingest.status.failed', 'the status to say ffmpeg failed');
    assert.notEqual(await first.exited, 0, "the publisher's connection was closed");
    const firstSession = seen.segments[0]!.session;

    // OBS reconnects by itself: after the crash backoff, a fresh ffmpeg, the same stream carrying on.
    const again = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 30);
    publishers.push(again);
    await untilStatus(statuses, 'ingest.status.restarting', 'the restart backoff in the status');
    await until(() => seen.segments.some((s) => s.session !== firstSession), 'a segment of the new ffmpeg', 30_000, 50);
    assert.equal(seen.segments.find((s) => s.session !== firstSession)!.discontinuity, true);
    assert.equal(ingestFfmpegPids(out).length, 1, 'one ffmpeg again');
    const sequences = seen.segments.map((s) => s.sequence);
    assert.deepEqual(
      sequences,
      sequences.map((_, i) => sequences[0] + i),
      'the sequence keeps rising by one',
    );
    await assertStoredAsWritten(seen, 'obs', 'main', 2);
    assert.deepEqual(seen.violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      ['E_INGEST_FFMPEG'],
    );
  });

  it('garbage on the RTMP port is refused, coded and audited; a publisher cut off mid-stream ends cleanly with its segments stored valid', async () => {
    const seen = await loadListening();
    const statuses = seen.statuses.get('in1')!;
    // Not RTMP at all: refused before anything reaches ffmpeg.
    const junk = net.connect(port, '127.0.0.1');
    junk.on('error', () => undefined);
    junk.write(randomBytes(4096));
    await until(() => seen.events.some((e) => e.event === 'refused' && e.code === 'E_INGEST_PROTOCOL'), 'a refused event with E_INGEST_PROTOCOL');
    await until(() => seen.caught.some((e) => e.code === 'E_INGEST_PROTOCOL'), 'E_INGEST_PROTOCOL at the Catch node');
    await untilStatus(statuses, 'ingest.status.refused', 'the refusal in the status');
    await until(() => junk.destroyed || junk.closed, 'the junk connection closed');
    assert.deepEqual(existsSync(out) ? readdirSync(out, { recursive: true }) : [], [], 'nothing written for it');

    // A publisher killed mid-stream (OBS crashing, a cable pulled): its truncated FLV ends the publish.
    const cut = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 30);
    publishers.push(cut);
    await until(() => seen.segments.length >= 2, 'two segments', 30_000, 50);
    cut.process.kill('SIGKILL');
    await until(() => seen.events.some((e) => e.event === 'ended'), 'the publish to end');
    await assertStoredAsWritten(seen, 'obs', 'main', 2);
    assert.deepEqual(seen.violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      ['E_INGEST_PROTOCOL'],
      'nothing failed but the refusal',
    );
    await until(() => ingestFfmpegPids().length === 0, 'no ffmpeg left once the publish ended');
  });

  it('SRT with a passphrase: a wrong one and none are refused and audited with nothing written; the right one is stored byte for byte; the passphrase is on no command line', async () => {
    const srtPort = await freeUdpPort();
    const seen = await loadListening([{ id: 'in1', out, port, stream: 'obs', srtPort }]);
    const url = `srt://127.0.0.1:${srtPort}`;

    for (const [query, count] of [
      ['?passphrase=not-the-right-passphrase', 1],
      ['', 2],
    ] as const) {
      const refused = publishSrt(`${url}${query}`, 4);
      publishers.push(refused);
      await until(
        () => seen.events.filter((e) => e.event === 'refused' && e.code === 'E_INGEST_PASSPHRASE').length >= count,
        `refusal ${count} (E_INGEST_PASSPHRASE)`,
      );
      await until(() => seen.caught.filter((e) => e.code === 'E_INGEST_PASSPHRASE').length >= count, `refusal ${count} at the Catch node`);
      assert.notEqual(await refused.exited, 0, 'the caller saw its connection refused');
    }
    assert.deepEqual(existsSync(out) ? readdirSync(out, { recursive: true }) : [], [], 'no playlist and no segment for a refused caller');

    const good = publishSrt(`${url}?passphrase=${PASSPHRASE}`, 9);
    publishers.push(good);
    await until(() => seen.events.some((e) => e.event === 'publishing' && e.protocol === 'srt'), 'the SRT publish to start');
    // The ingest's ffmpeg (the publisher's own command line holds the passphrase, as OBS's settings do).
    const ingestRuns = childCmdlines().filter((c) => c.includes('-f concat'));
    assert.equal(ingestRuns.length, 1, 'one ffmpeg serves the SRT publish');
    assert.ok(!ingestRuns[0]!.includes(PASSPHRASE), `the passphrase is not on its command line: ${ingestRuns[0]}`);
    await until(() => seen.segments.length >= 3, 'three segments from hls-watch', 30_000, 50);
    await assertStoredAsWritten(seen, 'obs', 'main', 3);
    assert.equal(await good.exited, 0, good.stderr());
    await until(() => seen.events.some((e) => e.event === 'ended'), 'the publish to end');
    assert.deepEqual(seen.violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      ['E_INGEST_PASSPHRASE', 'E_INGEST_PASSPHRASE'],
      'nothing failed but the two refusals',
    );
    const said = JSON.stringify([seen.caught, seen.events, [...seen.statuses.values()]]);
    assert.ok(!said.includes(PASSPHRASE) && !said.includes(KEY), 'the passphrase and the key are in no msg and no status');
  });

  it('two streams at once: an RTMP and an SRT publisher into two ingest nodes, both live together, both stored byte for byte', async () => {
    const out2 = path.join(dir, 'cam');
    const [port2, srtPort] = [await freePort(), await freeUdpPort()];
    const seen = await loadListening([
      { id: 'in1', out, port, stream: 'obs' },
      { id: 'in2', out: out2, port: port2, stream: 'cam', srtPort },
    ]);
    publishers.push(publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 10), publishSrt(`srt://127.0.0.1:${srtPort}?passphrase=${PASSPHRASE}`, 10));
    const live = (node: string) => seen.events.some((e) => e.node === node && e.event === 'publishing');
    await until(() => live('in1') && live('in2'), 'both publishes to start', 30_000);
    assert.ok(!seen.events.some((e) => e.event === 'ended'), 'both were live at the same time');
    const of = (stream: string) => seen.segments.filter((s) => s.stream === stream);
    await until(() => of('obs').length >= 3 && of('cam').length >= 3, 'three segments of each stream', 30_000, 50);
    assert.notEqual(of('obs')[0]!.session, of('cam')[0]!.session);
    await assertStoredAsWritten(seen, 'obs', 'main', 3);
    await assertStoredAsWritten(seen, 'cam', 'main', 3);
    assert.deepEqual(seen.violations, []);
    assert.deepEqual(
      seen.caught.map((e) => e.code),
      [],
    );
  });

  it('ladder mode: the master lists three renditions, each with the BANDWIDTH measured from its stored segments', async () => {
    const rungs = ['180p', '144p', '108p'];
    const seen = await loadListening([{ id: 'in1', out, port, stream: 'obs', mode: 'ladder', ladder: '180:400,144:250,108:150' }]);
    const publisher = publishRtmp(`rtmp://127.0.0.1:${port}/live/${KEY}`, 9);
    publishers.push(publisher);
    const of = (rendition: string) => seen.segments.filter((s) => s.rendition === rendition);
    await until(() => rungs.every((r) => of(r).length >= 3), 'three segments of every rendition', 45_000, 50);
    assert.equal(await publisher.exited, 0, publisher.stderr());
    await until(() => seen.events.some((e) => e.event === 'ended'), 'the publish to end');
    // The peak segment bit rate of everything hls-watch delivered, rounded up as the master declares it.
    const measured = (rendition: string) => roundUpSignificant(Math.max(...of(rendition).map((s) => (s.byteLength * 8) / s.duration)));
    let master = '';
    const declared = () => [...master.matchAll(/#EXT-X-STREAM-INF:[^\n]*?BANDWIDTH=(\d+)[^\n]*\n(\S+)/g)].map((m) => ({ bandwidth: Number(m[1]), uri: m[2]! }));
    await until(
      async () => {
        const res = await fetch(`${httpNode.base}/live/obs/master.m3u8`);
        master = res.status === 200 ? await res.text() : '';
        const listed = declared();
        return listed.length === 3 && rungs.every((r) => listed.some((l) => l.uri.includes(r) && l.bandwidth === measured(r)));
      },
      "the master to declare every rendition's measured BANDWIDTH",
      30_000,
      100,
      () => `${master}\nmeasured: ${rungs.map((r) => `${r} ${measured(r)}`).join(', ')}`,
    );
    for (const r of rungs) await assertStoredAsWritten(seen, 'obs', r, 3);
    assert.deepEqual(seen.violations, []);
  });
});
