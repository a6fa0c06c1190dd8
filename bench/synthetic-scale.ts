/**
 * Synthetic viewers at scale, loopback only: N = 10, 25, 50 synthetic viewers (devtools/synthetic-viewer:
 * the browser's peer engine on @roamhq/wrtc with a simulated player, all N in one Node process)
 * against a real pipeline (live ffmpeg ~0.9 Mb/s 2 s segments → hls-watch → r2-upload → local S3 →
 * manifest → signaling in a real Node-RED runtime). Prints per N: offload by the media played
 * against the ceiling 1 − 1/N, offload by bytes received and the peer bytes never played, stalls,
 * TTFF and latency, origin segment requests per new segment, and what the viewers cost: the
 * synthetic process's CPU (share of one core) and peak RSS, and the whole machine's CPU.
 *
 *   npx tsx bench/synthetic-scale.ts [--viewers 10,25,50] [--seconds 90] [--upload-off-share 0] [--upload-kbps 0]
 *
 * `--per-viewer 1` also prints one line per viewer. The viewers run in a child process (the synthetic viewer's CLI) so that its CPU and RSS are theirs
 * alone; both processes are inside the same loopback-only namespace.
 */
import { spawn } from 'node:child_process';
import { readSyntheticReport, syntheticCommand, type SyntheticReport } from '../devtools/synthetic-viewer';
import { startLiveEncoder } from './support/live-encoder';
import { startSwarmPipeline, type SwarmPipeline } from '../test/support/swarm';
import { confinedToLoopback } from './support/loopback-only';
import { pct, sleep, waitForStream } from './support/swarm-figures';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const VIEWERS = (args.get('viewers') ?? '10,25,50').split(',').map(Number);
const SECONDS = Number(args.get('seconds') ?? 90);
const UPLOAD_OFF_SHARE = Number(args.get('upload-off-share') ?? 0);
const UPLOAD_KBPS = Number(args.get('upload-kbps') ?? 0);
const PER_VIEWER = args.get('per-viewer') === '1';
const STREAM = 'synth';

const announcements = (pipeline: SwarmPipeline): number => Number(pipeline.stats[pipeline.stats.length - 1]?.announcements ?? 0);

function runViewers(pipeline: SwarmPipeline, n: number): Promise<SyntheticReport> {
  const [node, ...argv] = syntheticCommand({
    masterUrl: `${pipeline.base}/live/${STREAM}/master.m3u8`,
    signalingUrl: `${pipeline.base.replace(/^http/, 'ws')}/relaycast/signal`,
    viewers: n,
    seconds: SECONDS,
    uploadOffShare: UPLOAD_OFF_SHARE,
    uploadKbps: UPLOAD_KBPS,
    loopbackSources: true,
  });
  const child = spawn(node, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(readSyntheticReport(out)) : reject(new Error(`synthetic viewers exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  if (!confinedToLoopback(__filename)) return;
  const pipeline = await startSwarmPipeline({ stream: STREAM, statsInterval: 2 });
  const encoder = startLiveEncoder(pipeline.hlsDir, '360p');
  const rows: Array<Record<string, any>> = [];
  try {
    await waitForStream(pipeline.base, STREAM);
    await sleep(8000); // a few segments in the window before the first viewer
    console.log(
      `synthetic scale bench: ${encoder.kind}; ${SECONDS} s of play after the last join (joins 200 ms apart); upload off for ${pct(UPLOAD_OFF_SHARE)}; upload cap ${UPLOAD_KBPS || 'none'} kb/s`,
    );
    for (const n of VIEWERS) {
      const segmentsBefore = pipeline.segmentRequests();
      const announcedBefore = announcements(pipeline);
      const report = await runViewers(pipeline, n);
      const s = report.swarm;
      const row = {
        ...s,
        originRequestsPerSegment: (pipeline.segmentRequests() - segmentsBefore) / Math.max(1, announcements(pipeline) - announcedBefore),
        rssPerViewerMB: s.process.rssPeakMB / n,
        errors: report.viewers.flatMap((v) => v.errors).slice(0, 5),
      };
      rows.push(row);
      if (PER_VIEWER)
        for (const v of report.viewers)
          console.log(
            `${v.id} upload=${v.upload} peers=${v.peers} played=${v.segmentsPlayed} fromPeers=${pct(v.playedPeerBytes / Math.max(1, v.playedBytes))} httpSeg=${v.httpSegments} p2pSeg=${v.p2pSegments} misses=${v.deadlineMisses} up=${(v.uploadedBytes / 1e6).toFixed(1)}MB stalls=${v.stalls} ttff=${v.ttffMs?.toFixed(0)} ${v.errors.join('; ')}`,
          );
      console.log(JSON.stringify(row));
    }
  } finally {
    await encoder.stop();
    await pipeline.stop();
  }
  console.log(
    '\n| N | offload by media played | ceiling 1 − 1/N | of ceiling | by bytes received | peer bytes never played | stalls (s) | TTFF p50 / max | latency p50 | origin req per segment | viewers process CPU (of one core) | RSS peak (÷ N, derived) | machine CPU |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.viewers} | ${pct(r.offloadPlayed)} | ${pct(r.ceiling)} | ${pct(r.offloadOfCeiling)} | ${pct(r.offloadReceived)} | ${pct(r.unusedPeerShare)} | ${r.stalls} (${r.stallSeconds.toFixed(1)} s)${r.notPlaying ? `, ${r.notPlaying} not playing` : ''} | ${((r.ttffMsMedian ?? NaN) / 1000).toFixed(2)} / ${((r.ttffMsMax ?? NaN) / 1000).toFixed(2)} s | ${((r.latencyMsMedian ?? NaN) / 1000).toFixed(1)} s | ${r.originRequestsPerSegment.toFixed(2)} | ${pct(r.process.cpuOfOneCore)} | ${r.process.rssPeakMB.toFixed(0)} MB (${r.rssPerViewerMB.toFixed(1)} MB) | ${r.machineCpuBusy === undefined ? '–' : pct(r.machineCpuBusy)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
