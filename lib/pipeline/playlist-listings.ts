/**
 * Which stored objects a served playlist still lists, shared by the manifest and r2-upload nodes
 * of one pipeline (one instance per PipelineBus, pipeline-bus.ts). Manifest reports each segment key it
 * lists and, when the key leaves its window, until when RFC 8216 §6.2.2 wants it available (its
 * duration plus the duration of the playlist that held it). r2-upload's cleanup asks before it
 * deletes: a key still listed, or still inside its availability period, is held. A key no manifest
 * ever reported (no manifest in this pipeline) is left to r2-upload's own Keep rule.
 */

/** The view one manifest node gets: it reports only its own listings. */
export interface ListingReporter {
  list(key: string): void;
  unlist(key: string, availableUntilMs: number): void;
}

/** Expired availability entries are dropped every this many reports, so the map stays small. */
const PRUNE_EVERY = 1000;

export class PlaylistListings {
  private readonly owners = new Map<string, Set<string>>();
  private readonly availableUntil = new Map<string, number>();
  private reports = 0;
  private anyListed = false;
  /** The time of the last question, so pruning follows the asker's clock (a test's fake one too). */
  private lastNow: number | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  forOwner(owner: string): ListingReporter {
    return {
      list: (key) => this.list(owner, key),
      unlist: (key, until) => this.unlist(owner, key, until),
    };
  }

  list(owner: string, key: string): void {
    this.anyListed = true;
    let set = this.owners.get(key);
    if (!set) this.owners.set(key, (set = new Set()));
    set.add(owner);
  }

  unlist(owner: string, key: string, availableUntilMs: number): void {
    const set = this.owners.get(key);
    if (set) {
      set.delete(owner);
      if (set.size === 0) this.owners.delete(key);
    }
    this.availableUntil.set(key, Math.max(this.availableUntil.get(key) ?? 0, availableUntilMs));
    if (++this.reports % PRUNE_EVERY === 0) this.prune();
  }

  /** A manifest node stops (redeploy, restart): its keys stay held until `availableUntilMs`. */
  releaseOwner(owner: string, availableUntilMs: number): void {
    for (const [key, set] of [...this.owners]) if (set.has(owner)) this.unlist(owner, key, availableUntilMs);
  }

  /**
   * Whether some manifest node of this pipeline has reported a listing since the bus was made. Until
   * one has, r2-upload's cleanup follows its Keep rule alone (and says so: a manifest in another
   * pipeline or Node-RED cannot guard the keys it lists).
   */
  get reporting(): boolean {
    return this.anyListed;
  }

  /** Whether `key` must not be deleted at `now`: listed somewhere, or inside its availability period. */
  holds(key: string, now: number): boolean {
    this.lastNow = now;
    if (this.owners.has(key)) return true;
    const until = this.availableUntil.get(key);
    if (until !== undefined && until <= now) this.availableUntil.delete(key);
    return until !== undefined && until > now;
  }

  private prune(): void {
    const now = this.lastNow ?? this.clock();
    for (const [key, until] of this.availableUntil) if (until <= now && !this.owners.has(key)) this.availableUntil.delete(key);
  }
}
