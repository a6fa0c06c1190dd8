/**
 * `npm start -- --ingest` (or RELAYCAST_DEMO_INGEST=1): the demo as a real stream. Instead of the
 * demo encoder and its hls-watch, a relaycast-ingest node receives OBS into the same folder and
 * sends the segment msgs itself (its output 1 is hls-watch's), so the flow reads
 * ingest → r2-upload → manifest → signaling → payout and the rest of it is the demo's own.
 *
 * The ingest demo keeps a userDir of its own (userdir-ingest), so switching modes never mixes an
 * encoder-fed flow with an OBS-fed one. Its stream key is made once per run folder and kept there
 * (0600), so OBS's settings stay valid between starts; RELAYCAST_DEMO_STREAM_KEY overrides it. The
 * flow reads it through ${…}, as the demo's other secrets, so it is never written into a flow file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkStreamKey } from '../lib/ingest/stream-key';

export const INGEST_NODE_ID = 'd0000000000000b0';

/**
 * The ingest's segment length, and so the keyframe interval OBS must be set to: copy mode cuts
 * segments at OBS's keyframes, so the two must agree (the flow and the printed settings use this).
 */
export const KEYFRAME_SECONDS = 2;

type FlowNode = Record<string, unknown> & { id: string; type: string };

/**
 * The demo flow with the ingest node in hls-watch's place: the same folder, stream id, pipeline,
 * position and segment wires; its publish events (output 2) go nowhere, as the demo's debug tabs
 * already show the segments.
 */
export function withIngest(flow: FlowNode[], credentials: Record<string, unknown>): { flow: FlowNode[]; credentials: Record<string, unknown> } {
  const watch = flow.find((n) => n.type === 'relaycast-hls-watch')!;
  const ingest: FlowNode = {
    id: INGEST_NODE_ID,
    type: 'relaycast-ingest',
    z: watch.z,
    name: 'OBS',
    path: watch.path,
    stream: watch.stream,
    pipeline: watch.pipeline,
    bind: '${RELAYCAST_DEMO_INGEST_BIND}',
    port: '${RELAYCAST_DEMO_INGEST_PORT}',
    mode: 'copy',
    ladder: '720:2800,480:1200,360:600',
    segmentSeconds: KEYFRAME_SECONDS,
    listSize: 6,
    ffmpegPath: 'ffmpeg',
    x: watch.x,
    y: watch.y,
    wires: [(watch.wires as string[][])[0] ?? [], []],
  };
  return {
    flow: [...flow.filter((n) => n !== watch).map((n) => (n.type === 'comment' && n.name === DEMO_TITLE ? { ...n, name: INGEST_TITLE } : n)), ingest],
    credentials: { ...credentials, [INGEST_NODE_ID]: { streamKey: '${RELAYCAST_DEMO_STREAM_KEY}' } },
  };
}

/** The demo tab's heading, and what it reads with OBS in the encoder's place. */
const DEMO_TITLE = 'encoder folder → R2 → live playlists → swarm → payout';
const INGEST_TITLE = 'OBS → ingest → R2 → live playlists → swarm → payout';

/** RELAYCAST_DEMO_STREAM_KEY, else the key kept in the run folder, else a new one kept there. */
export function demoStreamKey(runDir: string, fromEnv: string | undefined): string {
  if (fromEnv) return checkStreamKey(fromEnv);
  const file = path.join(runDir, 'stream-key');
  if (existsSync(file)) return checkStreamKey(readFileSync(file, 'utf8').trim());
  const key = `live_${randomBytes(18).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** What to type into OBS, printed once Node-RED runs. */
export function obsInstructions(server: string, key: string, viewer: string): string[] {
  return [
    '  Stream from OBS:',
    '    Settings ▸ Stream    : Service "Custom…"',
    `                           Server     ${server}`,
    `                           Stream Key ${key}`,
    '    Settings ▸ Output    : Output Mode "Advanced", Encoder x264, Rate Control CBR, Bitrate 2500 Kbps,',
    `                           Keyframe Interval ${KEYFRAME_SECONDS} s (the segment length), Audio AAC, then Start Streaming`,
    `  Viewer page     : ${viewer}  (live once OBS streams)`,
  ];
}
