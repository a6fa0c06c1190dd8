/**
 * Relay policy: which answers and ICE candidates the server forwards. An answer is relayed only for
 * an offer that was relayed to its sender and is still pending; ICE only between peers with an offer
 * or answer in progress. Both are bounded per receiving peer, and both tell an honest race (an offer
 * that expired or was replaced, a trickle that outlived its window) from a forged message, because
 * only the forged one may count as a violation.
 */

/** Offers relayed TO one peer, awaiting its answer. */
export class PendingOffers {
  /** offerer → offerId → expiry. Per pair, so one offerer can crowd out only its own offers. */
  private readonly byOfferer = new Map<string, Map<string, number>>();
  private total = 0;
  /** `${offerer}\n${offerId}` of offers that expired or were replaced lately: answering one is a race. */
  private readonly stale = new Set<string>();

  constructor(private readonly perPair: number, private readonly perReceiver: number) {}

  /** Records an offer; 'busy' when the receiver already has its maximum pending (nothing is evicted). */
  add(offerer: string, offerId: string, expires: number): 'ok' | 'busy' {
    let offers = this.byOfferer.get(offerer);
    const replacing = offers?.has(offerId) === true;
    if (!replacing && this.total >= this.perReceiver && (offers?.size ?? 0) < this.perPair) return 'busy';
    if (!offers) {
      offers = new Map();
      this.byOfferer.set(offerer, offers);
    }
    if (replacing) offers.delete(offerId);
    else this.total++;
    offers.set(offerId, expires);
    if (offers.size > this.perPair) {
      const oldest = offers.keys().next().value as string;
      offers.delete(oldest);
      this.total--;
      this.markStale(offerer, oldest);
    }
    return 'ok';
  }

  /** Consumes the pending offer an answer refers to. */
  take(offerer: string, offerId: string, now: number): 'ok' | 'expired' | 'none' {
    const offers = this.byOfferer.get(offerer);
    const expires = offers?.get(offerId);
    if (expires === undefined) {
      const key = `${offerer}\n${offerId}`;
      if (this.stale.delete(key)) return 'expired';
      return 'none';
    }
    this.remove(offerer, offers!, offerId);
    return expires < now ? 'expired' : 'ok';
  }

  /** Moves expired offers to the stale set. */
  expire(now: number): void {
    for (const [offerer, offers] of this.byOfferer) {
      for (const [offerId, expires] of offers) {
        if (expires >= now) continue;
        this.remove(offerer, offers, offerId);
        this.markStale(offerer, offerId);
      }
    }
  }

  size(): number {
    return this.total;
  }

  private remove(offerer: string, offers: Map<string, number>, offerId: string): void {
    offers.delete(offerId);
    this.total--;
    if (offers.size === 0) this.byOfferer.delete(offerer);
  }

  private markStale(offerer: string, offerId: string): void {
    this.stale.add(`${offerer}\n${offerId}`);
    // Bounded like the pending offers themselves: beyond it, a very late answer is called forged.
    if (this.stale.size > this.perReceiver) this.stale.delete(this.stale.values().next().value as string);
  }
}

/** Peers one peer may exchange ICE with: an offer or answer passed between them lately. */
export class IceAllowance {
  /** peer → until when ICE may flow. Expired entries are kept for one more TTL to recognise late trickle. */
  private readonly until = new Map<string, number>();

  constructor(private readonly max: number, private readonly graceMs: number) {}

  allow(peer: string, until: number): void {
    this.until.delete(peer);
    this.until.set(peer, until);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value as string);
  }

  check(peer: string, now: number): 'ok' | 'expired' | 'none' {
    const until = this.until.get(peer);
    if (until === undefined) return 'none';
    return until >= now ? 'ok' : 'expired';
  }

  expire(now: number): void {
    for (const [peer, until] of this.until) if (until + this.graceMs < now) this.until.delete(peer);
  }
}
