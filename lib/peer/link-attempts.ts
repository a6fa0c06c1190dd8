/**
 * Failed WebRTC attempts per neighbour, so that a link that cannot form (a symmetric NAT on both
 * sides, UDP blocked) is not retried in a loop: in the lab, homes behind symmetric NAT made 99
 * attempts and got 0 links, retried all through the run. Each failure doubles the wait before the
 * next attempt to that peer; after a few, the peer is given up for this signaling session (its id
 * changes when either side rejoins). A link that opened clears the record.
 */

export const LINK_RETRY = {
  /** Wait after the first failure; doubled after each further one. */
  firstBackoffMs: 10_000,
  /** Failures after which the peer is not tried again. */
  giveUpAfter: 3,
  /** Peers remembered (the oldest record is dropped first). */
  maxTracked: 256,
} as const;

interface Failures {
  count: number;
  retryAt: number;
}

export class LinkAttempts {
  private readonly failures = new Map<string, Failures>();

  /** Whether an offer to `peer` may be made at `now`. */
  mayTry(peer: string, now: number): boolean {
    const record = this.failures.get(peer);
    return !record || (record.count < LINK_RETRY.giveUpAfter && now >= record.retryAt);
  }

  failed(peer: string, now: number): void {
    const count = (this.failures.get(peer)?.count ?? 0) + 1;
    this.failures.delete(peer);
    this.failures.set(peer, { count, retryAt: now + LINK_RETRY.firstBackoffMs * 2 ** (count - 1) });
    if (this.failures.size > LINK_RETRY.maxTracked) this.failures.delete(this.failures.keys().next().value as string);
  }

  succeeded(peer: string): void {
    this.failures.delete(peer);
  }

  /** Peers not to be introduced again now (for the `peers` request's exclude list). */
  waiting(now: number): string[] {
    return [...this.failures].filter(([peer]) => !this.mayTry(peer, now)).map(([peer]) => peer);
  }

  clear(): void {
    this.failures.clear();
  }
}
