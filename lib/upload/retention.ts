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
 *
 * The Keep count knows nothing of the playlists, so when a manifest reports what it lists
 * (PlaylistListings), a key it still lists, or that is still inside its availability period after
 * leaving the window, is never deleted, whatever Keep says. The index can be saved (snapshot) and
 * restored, so a restart still deletes what the previous run stored.
 */
import { RelaycastError } from '../errors';
import type { PlaylistListings } from '../pipeline/playlist-listings';
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
  /** What the served playlists still list (manifest reports it); a listed key is never deleted. */
  listings?: PlaylistListings;
}

export interface RetentionSnapshot {
  format: 1;
  lanes: Array<[string, LaneEntry[]]>;
  initUsers: Array<[string, number]>;
  expiring: Expiry[];
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

  private readonly listings: PlaylistListings | undefined;

  constructor(
    options: RetentionOptions,
    private readonly clock: Clock,
  ) {
    this.listings = options.listings;
    this.keepAll = options.keepAll ?? false;
    this.keepSegments = Math.max(1, Math.floor(options.keepSegments ?? 12));
    this.graceMs = Math.max(0, options.graceMs ?? 5000);
  }

  /** Whether what the playlists list guards the deletions (some manifest of this process reports its listings). */
  get guardedByPlaylists(): boolean {
    return this.listings?.reporting ?? false;
  }

  /**
   * Records a stored segment, in its rendition's playback order. A key it holds already (a repeat
   * hls-watch sent while the first copy was still being stored) is not recorded twice: it would
   * count twice against Keep.
   */
  recordSegment(lane: string, entry: LaneEntry): void {
    if (this.keepAll || this.holds(entry.key)) return;
    let entries = this.lanes.get(lane);
    if (!entries) {
      entries = [];
      this.lanes.set(lane, entries);
    }
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

  /** Whether the index holds `key`: stored by this run or a restored one, and not deleted yet. */
  holds(key: string): boolean {
    if (this.pendingDeletes.has(key)) return false;
    for (const entries of this.lanes.values()) if (entries.some((e) => e.key === key)) return true;
    return this.expiring.some((e) => e.key === key && !e.isInit);
  }

  /** Keys whose deletion is due now (each handed out once until reported back), except `skip`. */
  due(skip?: ReadonlySet<string>): string[] {
    const now = this.clock.now();
    const keys: string[] = [];
    for (const expiry of this.expiring) {
      if (expiry.deleteAt <= now && !this.pendingDeletes.has(expiry.key) && !skip?.has(expiry.key) && !this.listings?.holds(expiry.key, now - this.graceMs)) {
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
    if (users > 0) {
      this.initUsers.set(initKey, users);
      return;
    }
    this.initUsers.delete(initKey);
    // Its last segment has just served out its availability period, so the init has too.
    this.expiring.push({ key: initKey, deleteAt: this.clock.now(), isInit: true });
  }

  /** Everything needed to go on deleting after a restart (what is being deleted right now is not: it is retried). */
  snapshot(): RetentionSnapshot {
    return {
      format: 1,
      lanes: [...this.lanes].map(([lane, entries]) => [lane, entries.map((e) => ({ ...e }))]),
      initUsers: [...this.initUsers],
      expiring: this.expiring.map((e) => ({ ...e })),
    };
  }

  /** Takes over a saved index (merged with what this run already recorded). Throws E_UPLOAD_STATE when unusable. */
  restore(value: unknown): void {
    const s = value as RetentionSnapshot;
    const isKey = (k: unknown): k is string => typeof k === 'string' && k.length > 0 && k.length <= 1024;
    const ok =
      s &&
      typeof s === 'object' &&
      s.format === 1 &&
      Array.isArray(s.lanes) &&
      Array.isArray(s.initUsers) &&
      Array.isArray(s.expiring) &&
      s.lanes.every(
        (l) => Array.isArray(l) && typeof l[0] === 'string' && Array.isArray(l[1]) && l[1].every((e) => e && isKey(e.key) && Number.isFinite(e.durationSec)),
      ) &&
      s.initUsers.every((u) => Array.isArray(u) && isKey(u[0]) && Number.isSafeInteger(u[1])) &&
      s.expiring.every((e) => e && isKey(e.key) && Number.isFinite(e.deleteAt));
    if (!ok) throw new RelaycastError('E_UPLOAD_STATE', 'saved r2-upload index is unusable');
    for (const [lane, entries] of s.lanes) this.lanes.set(lane, [...entries, ...(this.lanes.get(lane) ?? [])]);
    for (const [key, users] of s.initUsers) this.initUsers.set(key, (this.initUsers.get(key) ?? 0) + users);
    this.expiring.push(...s.expiring);
  }
}
