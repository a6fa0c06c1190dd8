/**
 * What a synthetic run reports, per viewer and for the swarm. Offload is judged by the media
 * played (peer bytes that reached the player against all bytes it played), never by bytes
 * received: peer bytes received and never played are reported beside it as waste.
 */
import { median, peerShareCeiling } from '../../bench/support/swarm-figures';
import type { BufferFigures } from './buffer';

export interface ViewerFigures extends BufferFigures {
  id: string;
  upload: boolean;
  /** Median of the once-a-second latency samples, ms (undefined before playback). */
  latencyMs?: number;
  segmentsPlayed: number;
  playedBytes: number;
  /** Of playedBytes, those that came from peers. */
  playedPeerBytes: number;
  /** Verified segment bytes by where they came from (the engine's counters). */
  receivedPeerBytes: number;
  httpBytes: number;
  /** Peer bytes received and never played. */
  unusedPeerBytes: number;
  uploadedBytes: number;
  /** Segments the engine completed over HTTP (whole or finished with a Range) and wholly from peers. */
  httpSegments: number;
  p2pSegments: number;
  deadlineMisses: number;
  /** Why segments came over HTTP, as the engine counts them (RelaycastStats). */
  httpAtOnce: number;
  deadlineWithoutHolder: number;
  httpUnannounced: number;
  peers: number;
  /** One record per stall: the segment the player was waiting for and how its load went. */
  stallLog: StallRecord[];
  /** Times the player fell out of the live window and jumped back to the live start position. */
  skips: number;
  errors: string[];
}

/**
 * A stall as the player saw it. `waitingFor`: 'playlist' (the next segment was not listed yet: the
 * live edge's) or 'segment' (listed, its load still running: this viewer's own). Times are ms since
 * the viewer started; `source` and `loadMs` are filled in when the load ends.
 */
export interface StallRecord {
  atMs: number;
  waitingFor: 'playlist' | 'segment';
  msn: number;
  /** Buffered seconds ahead of the playhead when the load began, and the peer budget it got. */
  aheadAtRequestS?: number;
  budgetMs?: number;
  requestedAtMs?: number;
  loadMs?: number;
  source?: string;
  openLinks?: number;
  peersHolding?: number;
}

export interface SwarmFigures {
  viewers: number;
  uploadOff: number;
  seconds: number;
  /** Σ played peer bytes ÷ Σ played bytes. */
  offloadPlayed: number;
  /** 1 − 1/N: one copy of each segment has to come from the origin. */
  ceiling: number;
  offloadOfCeiling: number;
  /** Σ peer bytes ÷ Σ bytes received (what the engine counts; includes waste). */
  offloadReceived: number;
  /** Share of the peer bytes received that were never played. */
  unusedPeerShare: number;
  stalls: number;
  stallSeconds: number;
  viewersStalled: number;
  notPlaying: number;
  ttffMsMedian?: number;
  ttffMsMax?: number;
  latencyMsMedian?: number;
  playedSeconds: number;
  uploadedBytes: number;
  deadlineMisses: number;
  skips: number;
  /** This process: CPU time over the run (ms), its share of one core, and the largest RSS sampled. */
  process: { cpuMs: number; cpuOfOneCore: number; rssPeakMB: number };
  /** The whole machine's CPU busy share over the run (all cores), from /proc/stat when readable. */
  machineCpuBusy?: number;
}

export interface SyntheticReport {
  swarm: SwarmFigures;
  viewers: ViewerFigures[];
}

/** The median of the finite values; undefined when there is none (the report is JSON: no NaN). */
function medianOrNone(xs: number[]): number | undefined {
  const m = median(xs);
  return Number.isFinite(m) ? m : undefined;
}

const sum = (vs: ViewerFigures[], pick: (v: ViewerFigures) => number): number => vs.reduce((a, v) => a + pick(v), 0);

export function swarmFigures(viewers: ViewerFigures[], seconds: number, usage: Pick<SwarmFigures, 'process' | 'machineCpuBusy'>): SwarmFigures {
  const n = viewers.length;
  const played = sum(viewers, (v) => v.playedBytes);
  const playedPeer = sum(viewers, (v) => v.playedPeerBytes);
  const received = sum(viewers, (v) => v.receivedPeerBytes + v.httpBytes);
  const receivedPeer = sum(viewers, (v) => v.receivedPeerBytes);
  const ceiling = peerShareCeiling(n);
  const offloadPlayed = played > 0 ? playedPeer / played : 0;
  const ttffs = viewers.map((v) => v.ttffMs ?? NaN);
  return {
    viewers: n,
    uploadOff: viewers.filter((v) => !v.upload).length,
    seconds,
    offloadPlayed,
    ceiling,
    offloadOfCeiling: ceiling > 0 ? offloadPlayed / ceiling : 0,
    offloadReceived: received > 0 ? receivedPeer / received : 0,
    unusedPeerShare: receivedPeer > 0 ? sum(viewers, (v) => v.unusedPeerBytes) / receivedPeer : 0,
    stalls: sum(viewers, (v) => v.stalls),
    stallSeconds: sum(viewers, (v) => v.stallMs) / 1000,
    viewersStalled: viewers.filter((v) => v.stalls > 0).length,
    notPlaying: viewers.filter((v) => v.ttffMs === undefined).length,
    ttffMsMedian: medianOrNone(ttffs),
    ttffMsMax: ttffs.some(Number.isFinite) ? Math.max(...ttffs.filter(Number.isFinite)) : undefined,
    latencyMsMedian: medianOrNone(viewers.map((v) => v.latencyMs ?? NaN)),
    playedSeconds: sum(viewers, (v) => v.playedSeconds),
    uploadedBytes: sum(viewers, (v) => v.uploadedBytes),
    deadlineMisses: sum(viewers, (v) => v.deadlineMisses),
    skips: sum(viewers, (v) => v.skips),
    ...usage,
  };
}
