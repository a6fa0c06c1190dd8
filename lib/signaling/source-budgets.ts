/**
 * Budgets per client source (IPv4 /32, IPv6 /64 by default: addresses.ts). Per-connection limits
 * alone are reset by reconnecting — a fresh token bucket, a fresh violation count — so what an address
 * may do is also counted here, where a reconnect changes nothing: connection attempts, messages over
 * all its connections, and violations (which refill slowly; a source in debt is refused at the
 * upgrade until it has paid it off). Joins are budgeted per network (IPv4 /24, IPv6 /48), wider
 * than a source. Idle entries are dropped once their buckets would be full again,
 * so the table holds only sources that are connected or recently active.
 */
import { newBucket, takeToken, type TokenBucketState } from './rate-limiter';

export interface SourceBudgetLimits {
  /** One connection's message budget: a source holding k connections may send k connections' worth. */
  ratePerSecond: number;
  burst: number;
  upgradesPerSecond: number;
  upgradeBurst: number;
  sourceRatePerSecond: number;
  sourceBurst: number;
  /** Violations a source may commit before its upgrades are refused; refilled at violationRefillPerMinute. */
  maxSourceViolations: number;
  violationRefillPerMinute: number;
  /** Rejected receipts a source may file before each further one is a violation; refilled over 10 minutes. */
  receiptRejectsAllowed: number;
  maxSources: number;
  /** Joins per network (a /24 or /48, not a source): over all its addresses and connections. */
  joinsPerNetworkPerMinute: number;
  joinBurstPerNetwork: number;
}

export interface SourceEntry {
  connections: number;
  upgrades: TokenBucketState;
  messages: TokenBucketState;
  /** Tokens may go below zero (down to −maxSourceViolations): debt that takes time to repay. */
  violations: TokenBucketState;
  /** Rejected receipts still free of violation. */
  receiptRejects: TokenBucketState;
}

export type UpgradeVerdict = 'ok' | 'too-many-attempts' | 'too-many-violations' | 'table-full';

export class SourceBudgets {
  private readonly entries = new Map<string, SourceEntry>();
  /**
   * Joins by network tag. Keyed wider than a source: a client cycling through the addresses of its
   * /24 or /48 to rejoin faster still draws on one bucket. Bounded and pruned like the sources.
   */
  private readonly joins = new Map<string, TokenBucketState>();

  constructor(private readonly limits: SourceBudgetLimits) {}

  private upgradeConfig() {
    return { ratePerSecond: this.limits.upgradesPerSecond, burst: this.limits.upgradeBurst };
  }
  /**
   * The source's message budget: the configured one, plus one connection's budget for each further
   * connection it holds open at once. What the source budget is for is that reconnecting buys no
   * fresh burst, and one connection at a time still gets exactly the configured budget. But a
   * household or an office behind one address holds several connections at once, each within its
   * own limit: in the lab, ten viewers behind one home address met the fixed 100 messages/s, and
   * lost frames (and, as violations, connections) to it. Open connections are bounded
   * (maxConnectionsPerIp), and so is this.
   */
  private messageConfig(connections = 1) {
    const further = Math.max(0, connections - 1);
    return {
      ratePerSecond: this.limits.sourceRatePerSecond + this.limits.ratePerSecond * further,
      burst: this.limits.sourceBurst + this.limits.burst * further,
    };
  }
  private violationConfig() {
    return { ratePerSecond: this.limits.violationRefillPerMinute / 60, burst: this.limits.maxSourceViolations };
  }
  private joinConfig() {
    return { ratePerSecond: this.limits.joinsPerNetworkPerMinute / 60, burst: this.limits.joinBurstPerNetwork };
  }
  private rejectConfig() {
    return { ratePerSecond: this.limits.receiptRejectsAllowed / 600, burst: this.limits.receiptRejectsAllowed };
  }

  get(source: string): SourceEntry | undefined {
    return this.entries.get(source);
  }

  /** Charges one connection attempt to the source (creating its entry). */
  attemptUpgrade(source: string, now: number): UpgradeVerdict {
    let entry = this.entries.get(source);
    if (!entry) {
      if (this.entries.size >= this.limits.maxSources) this.prune(now);
      if (this.entries.size >= this.limits.maxSources) return 'table-full';
      entry = this.create(source, now);
    }
    refill(entry.violations, this.violationConfig(), now);
    if (entry.violations.tokens < 1) return 'too-many-violations';
    return takeToken(entry.upgrades, this.upgradeConfig(), now) ? 'ok' : 'too-many-attempts';
  }

  /** The entry a new connection counts against (created when the upgrade path skipped attemptUpgrade). */
  open(source: string, now: number): SourceEntry {
    const entry = this.entries.get(source) ?? this.create(source, now);
    entry.connections++;
    return entry;
  }

  private create(source: string, now: number): SourceEntry {
    const entry: SourceEntry = {
      connections: 0,
      upgrades: newBucket(this.upgradeConfig(), now),
      messages: newBucket(this.messageConfig(), now),
      violations: newBucket(this.violationConfig(), now),
      receiptRejects: newBucket(this.rejectConfig(), now),
    };
    this.entries.set(source, entry);
    return entry;
  }

  close(entry: SourceEntry): void {
    entry.connections = Math.max(0, entry.connections - 1);
  }

  takeMessage(entry: SourceEntry, now: number): boolean {
    return takeToken(entry.messages, this.messageConfig(entry.connections), now);
  }

  violation(entry: SourceEntry, now: number): void {
    refill(entry.violations, this.violationConfig(), now);
    entry.violations.tokens = Math.max(-this.limits.maxSourceViolations, entry.violations.tokens - 1);
  }

  /** One rejected receipt: false once the source has used up its free ones (it is then a violation). */
  receiptRejected(entry: SourceEntry, now: number): boolean {
    return takeToken(entry.receiptRejects, this.rejectConfig(), now);
  }

  /** Takes one join from the network's budget; false when it is spent (or the table is full of busy networks). */
  takeJoin(network: string, now: number): boolean {
    let bucket = this.joins.get(network);
    if (!bucket) {
      if (this.joins.size >= this.limits.maxSources) this.prune(now);
      if (this.joins.size >= this.limits.maxSources) return false;
      this.joins.set(network, (bucket = newBucket(this.joinConfig(), now)));
    }
    return takeToken(bucket, this.joinConfig(), now);
  }

  /** Drops entries with no connection whose buckets have refilled: they hold nothing worth remembering. */
  prune(now: number): void {
    for (const [network, bucket] of this.joins) if (isFull(bucket, this.joinConfig(), now)) this.joins.delete(network);
    for (const [source, entry] of this.entries) {
      if (entry.connections > 0) continue;
      if (
        isFull(entry.upgrades, this.upgradeConfig(), now) &&
        isFull(entry.messages, this.messageConfig(), now) &&
        isFull(entry.violations, this.violationConfig(), now) &&
        isFull(entry.receiptRejects, this.rejectConfig(), now)
      ) {
        this.entries.delete(source);
      }
    }
  }

  size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.joins.clear();
  }
}

function refill(bucket: TokenBucketState, config: { ratePerSecond: number; burst: number }, now: number): void {
  const elapsed = now - bucket.refilledAt;
  if (elapsed <= 0) return;
  bucket.tokens = Math.min(config.burst, bucket.tokens + (elapsed * config.ratePerSecond) / 1000);
  bucket.refilledAt = now;
}

function isFull(bucket: TokenBucketState, config: { ratePerSecond: number; burst: number }, now: number): boolean {
  return bucket.tokens + (Math.max(0, now - bucket.refilledAt) * config.ratePerSecond) / 1000 >= config.burst;
}
