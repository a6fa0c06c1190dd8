/**
 * How a peer's WebRTC links fared, for its stats reports (the `ice` field of the signaling `stats`
 * message): whether it gathered a server-reflexive candidate — its STUN server answered, so the
 * operator's UDP port is open — how many links opened and how many failed or timed out before
 * opening, and the type of each opened link's selected candidate pair, read with getStats where the
 * platform's RTCPeerConnection has it (browsers and @roamhq/wrtc do).
 */
import { BOUNDS, type IceOutcome } from '../protocol';

export type CandidateType = (typeof BOUNDS.candidateTypes)[number];

/** What a link tells the outcome about itself. */
export interface IceObserver {
  /** A local candidate line, as gathered (before any filter). */
  candidate(line: string): void;
  /** The link opened; `pair` is its selected pair's type when the platform could say. */
  connected(pair: CandidateType | undefined): void;
  /** The link closed (failed, timed out) before it ever opened. */
  failed(): void;
}

export class IceOutcomeCounter implements IceObserver {
  private outcome: IceOutcome = empty();

  candidate(line: string): void {
    if (candidateType(line) === 'srflx') this.outcome.srflx = true;
  }
  connected(pair: CandidateType | undefined): void {
    this.outcome.connected = bounded(this.outcome.connected + 1);
    if (pair) this.outcome.pairs[pair] = bounded(this.outcome.pairs[pair] + 1);
  }
  failed(): void {
    this.outcome.failed = bounded(this.outcome.failed + 1);
  }
  /** Counts start again at each join: a report covers the swarm the peer is in. */
  reset(): void {
    this.outcome = empty();
  }
  report(): IceOutcome {
    return { ...this.outcome, pairs: { ...this.outcome.pairs } };
  }
}

function empty(): IceOutcome {
  return { srflx: false, connected: 0, failed: 0, pairs: { host: 0, srflx: 0, prflx: 0, relay: 0 } };
}

function bounded(n: number): number {
  return Math.min(n, BOUNDS.maxLinksReported);
}

/** The `typ` of an SDP candidate line (RFC 8839 §5.1), if it is one of the four. */
export function candidateType(line: string): CandidateType | undefined {
  const match = / typ (host|srflx|prflx|relay)(?: |$)/.exec(line);
  return match ? (match[1] as CandidateType) : undefined;
}

/** The order in which a pair is named by its less direct end: a host–relay pair is a relayed link. */
const DIRECTNESS: Record<CandidateType, number> = { host: 0, srflx: 1, prflx: 2, relay: 3 };

/** What getStats() resolves to, reduced to what is read here (an RTCStatsReport is a Map of these). */
export interface StatsReportLike {
  forEach(callback: (stat: Record<string, unknown>) => void): void;
}

/**
 * The selected candidate pair's type from a stats report: the transport's selectedCandidatePairId
 * (the standard), else a nominated succeeded pair (older libwebrtc, Firefox's `selected`).
 */
export function selectedPairType(report: StatsReportLike): CandidateType | undefined {
  const byId = new Map<string, Record<string, unknown>>();
  let selectedId: string | undefined;
  report.forEach((stat) => {
    if (typeof stat.id === 'string') byId.set(stat.id, stat);
    if (stat.type === 'transport' && typeof stat.selectedCandidatePairId === 'string') selectedId = stat.selectedCandidatePairId;
  });
  let pair = selectedId === undefined ? undefined : byId.get(selectedId);
  if (!pair) {
    for (const stat of byId.values()) {
      if (stat.type === 'candidate-pair' && stat.state === 'succeeded' && (stat.nominated === true || stat.selected === true)) pair = stat;
    }
  }
  if (!pair) return undefined;
  const ends = [pair.localCandidateId, pair.remoteCandidateId].map((id) => (typeof id === 'string' ? byId.get(id)?.candidateType : undefined));
  const types = ends.filter((t): t is CandidateType => typeof t === 'string' && t in DIRECTNESS);
  if (types.length === 0) return undefined;
  return types.reduce((a, b) => (DIRECTNESS[b] > DIRECTNESS[a] ? b : a));
}

/** A link opened: counts it with its selected pair's type, once the platform's getStats (if any) has said. */
export function observeOpened(pc: { getStats?(): Promise<StatsReportLike> }, observer: IceObserver): void {
  let stats: Promise<StatsReportLike>;
  try {
    if (typeof pc.getStats !== 'function') return observer.connected(undefined);
    stats = pc.getStats();
  } catch {
    return observer.connected(undefined);
  }
  stats.then(
    (report) => observer.connected(selectedPairType(report)),
    () => observer.connected(undefined),
  );
}
