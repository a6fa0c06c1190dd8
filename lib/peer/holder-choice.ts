/**
 * Which linked holder of a segment to ask: the one expected to deliver it soonest, judged by how
 * fast each holder has delivered to this peer lately. A holder that was slow for me, refused me or
 * stalled gets fewer requests; one I know nothing of is assumed as good as the best I know, so new
 * links get tried; and what I learnt fades over a few tens of seconds, so a holder that was busy
 * once is asked again later (its uplink may be free now).
 */

/** A holder never measured is assumed at least this fast (bytes/s; ~8 Mb/s), so it gets tried. */
export const UNKNOWN_HOLDER_BYTES_PER_SECOND = 1_000_000;
/** What a holder's record is worth after this long falls to 1/e: it drifts back to the prior. */
const FORGET_MS = 20_000;
/** A refusal (ABSENT) counts as a transfer at this fraction of the holder's rate. */
const REFUSAL_FACTOR = 0.5;

interface Record {
  bytesPerSecond: number;
  at: number;
}

export interface HolderCandidate {
  id: string;
  /** Transfers already running from this holder to me. */
  load: number;
}

/** A linked holder as the choice sees it (a PeerLink, or a test's stand-in). */
export interface Holder {
  readonly remoteId: string;
}

/** What a segment's acquisition tells the choice: what is left to fetch and whom it avoids. */
export interface Wanted<L> {
  readonly meta: { readonly size: number };
  readonly filled: number;
  readonly avoided: ReadonlySet<string>;
  currentPeer(): L | undefined;
}

export class HolderScores {
  private readonly records = new Map<string, Record>();

  constructor(private readonly now: () => number) {}

  /** A transfer from `id` ended: `bytes` arrived over `ms` (a stall is a transfer of few bytes). */
  delivered(id: string, bytes: number, ms: number): void {
    const sample = bytes / (Math.max(ms, 1) / 1000);
    const previous = this.rate(id);
    const known = this.records.has(id);
    // One transfer says much about a holder: it moves the estimate most of the way.
    this.records.set(id, { bytesPerSecond: known ? previous + 0.6 * (sample - previous) : sample, at: this.now() });
  }

  /** A transfer asked of `id` ended: what it delivered, or a refusal (Acquisition's transferEnded). */
  transferEnded(id: string, bytes: number, ms: number, refused: boolean): void {
    if (refused) this.refused(id);
    else this.delivered(id, bytes, ms);
  }

  /** `id` answered ABSENT (busy, late, or not uploading now). */
  refused(id: string): void {
    this.records.set(id, { bytesPerSecond: this.rate(id) * REFUSAL_FACTOR, at: this.now() });
  }

  forget(id: string): void {
    this.records.delete(id);
  }

  /** Delivery rate expected from `id` now (bytes/s). */
  rate(id: string): number {
    const prior = this.prior();
    const record = this.records.get(id);
    if (!record) return prior;
    const kept = Math.exp(-Math.max(0, this.now() - record.at) / FORGET_MS);
    return record.bytesPerSecond * kept + prior * (1 - kept);
  }

  /**
   * The candidate expected to deliver `bytes` soonest, behind the transfers it already runs for
   * me; `random` ∈ [0,1) breaks near-ties so a swarm does not pile onto one uploader.
   */
  choose<C extends HolderCandidate>(candidates: readonly C[], bytes: number, random: () => number): C | undefined {
    let best: C | undefined;
    let bestMs = Infinity;
    for (const candidate of candidates) {
      const ms = (((candidate.load + 1) * bytes) / Math.max(1, this.rate(candidate.id))) * 1000 * (1 + 0.2 * random());
      if (ms < bestMs) {
        best = candidate;
        bestMs = ms;
      }
    }
    return best;
  }

  /**
   * Which of `holders` (linked, uploading, holding the segment) to ask for the rest of `wanted`: the
   * ones it avoids are skipped, and each one's load is the acquisitions (`running`) it serves me now.
   */
  pick<L extends Holder>(wanted: Wanted<L>, holders: Iterable<L>, running: Iterable<Wanted<L>>, random: () => number): L | undefined {
    const busy = [...running];
    const candidates: Array<HolderCandidate & { link: L }> = [];
    for (const link of holders) {
      if (wanted.avoided.has(link.remoteId)) continue;
      candidates.push({ id: link.remoteId, link, load: busy.filter((other) => other.currentPeer() === link).length });
    }
    return this.choose(candidates, wanted.meta.size - wanted.filled, random)?.link;
  }

  /**
   * An unmeasured holder is assumed as good as the best record held (no worse than 8 Mb/s). Records
   * are of linked holders only (forgotten when a link closes) and are taken at face value here, not
   * faded: one fast holder seen once keeps newcomers worth trying.
   */
  private prior(): number {
    let best = UNKNOWN_HOLDER_BYTES_PER_SECOND;
    for (const record of this.records.values()) best = Math.max(best, record.bytesPerSecond);
    return best;
  }
}
