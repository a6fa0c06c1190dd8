/**
 * Which stored segments may be deleted, and when: an in-memory index of what this uploader stored,
 * so cleanup never lists the bucket (ListObjects is a billed Class A operation on R2).
 *
 * Rule (RFC 8216 §6.2.2): a segment removed from a playlist must stay downloadable for its duration
 * plus the duration of the longest playlist that contained it. Per rendition, the newest
 * `keepSegments` segments are always kept (default 12 = twice manifest's default window of 6, so a
 * segment has long left every playlist before it even becomes a candidate); once it falls out of
 * that set, it is deleted after its own duration plus the duration of the kept set, plus a grace.
 * Init sections are deleted once no kept segment uses them any more.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface RetentionOptions {
  /** Keep every object (DVR / VOD): nothing is ever deleted. */
  keepAll?: boolean;
  /** Newest segments per rendition that are never deleted; default 12. */
  keepSegments?: number;
  /** Extra wait after the availability period, ms; default 5000. */
  graceMs?: number;
}

interface LaneEntry {
  key: string;
  durationSec: number;
  initKey?: string;
}

interface Expiry {
  key: string;
  deleteAt: number;
  initKey?: string;
  isInit: boolean;
}

export class RetentionIndex {
  private readonly keepAll: boolean;
  private readonly keepSegments: number;
  private readonly graceMs: number;
  private readonly lanes = new Map<string, LaneEntry[]>();
  private readonly initUsers = new Map<string, number>();
  private expiring: Expiry[] = [];
  private readonly pendingDeletes = new Set<string>();

  constructor(options: RetentionOptions, private readonly clock: Clock) {
    this.keepAll = options.keepAll ?? false;
    this.keepSegments = Math.max(1, Math.floor(options.keepSegments ?? 12));
    this.graceMs = Math.max(0, options.graceMs ?? 5000);
  }

  /** Number of objects known to be in the store because of this uploader (kept + awaiting deletion). */
  get size(): number {
    let kept = 0;
    for (const lane of this.lanes.values()) kept += lane.length;
    return kept + this.expiring.length + this.initUsers.size;
  }

  /** Records a stored segment, in its rendition's playback order. */
  recordSegment(lane: string, entry: LaneEntry): void {
    if (this.keepAll) return;
    let entries = this.lanes.get(lane);
    if (!entries) { entries = []; this.lanes.set(lane, entries); }
    entries.push(entry);
    if (entry.initKey) this.initUsers.set(entry.initKey, (this.initUsers.get(entry.initKey) ?? 0) + 1);
    const now = this.clock.now();
    while (entries.length > this.keepSegments) {
      const leaving = entries.shift() as LaneEntry;
      // The kept set stands in for "the longest playlist containing it": it is at least 2× any window.
      const keptDurationSec = entries.reduce((sum, e) => sum + e.durationSec, 0);
      const availabilityMs = (leaving.durationSec + keptDurationSec) * 1000;
      this.expiring.push({ key: leaving.key, deleteAt: now + availabilityMs + this.graceMs, initKey: leaving.initKey, isInit: false });
    }
  }

  /** Keys whose deletion is due now (each handed out once until reported back), except `skip`. */
  due(skip?: ReadonlySet<string>): string[] {
    const now = this.clock.now();
    const keys: string[] = [];
    for (const expiry of this.expiring) {
      if (expiry.deleteAt <= now && !this.pendingDeletes.has(expiry.key) && !skip?.has(expiry.key)) {
        this.pendingDeletes.add(expiry.key);
        keys.push(expiry.key);
      }
    }
    return keys;
  }

  /** The key is gone from the store. */
  deleted(key: string): void {
    this.pendingDeletes.delete(key);
    const at = this.expiring.findIndex((e) => e.key === key);
    if (at < 0) return;
    const [expiry] = this.expiring.splice(at, 1);
    if (expiry?.initKey) this.releaseInit(expiry.initKey);
  }

  /** The deletion failed; it is tried again on a later sweep. */
  deleteFailed(key: string): void {
    this.pendingDeletes.delete(key);
  }

  private releaseInit(initKey: string): void {
    const users = (this.initUsers.get(initKey) ?? 1) - 1;
    if (users > 0) { this.initUsers.set(initKey, users); return; }
    this.initUsers.delete(initKey);
    // Its last segment has just served out its availability period, so the init has too.
    this.expiring.push({ key: initKey, deleteAt: this.clock.now(), isInit: true });
  }
}
