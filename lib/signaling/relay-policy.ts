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
  /** `${offerer}\n${offerId}` of offers that expired or were displaced lately: answering one is a race, not a forgery. */
  private readonly stale = new Set<string>();

  constructor(
    private readonly perPair: number,
    private readonly perReceiver: number,
  ) {}

  /**
   * Records an offer; 'busy' when the pair already has perPair pending, or the receiver is full and
   * no sender holds more than this one. A refused offer is not relayed, so no sender can push the
   * receiver more than perPair unanswered offers.
   */
  add(offerer: string, offerId: string, expires: number): 'ok' | 'busy' {
    let offers = this.byOfferer.get(offerer);
    if (offers?.has(offerId)) {
      offers.set(offerId, expires);
      return 'ok';
    }
    const mine = offers?.size ?? 0;
    if (mine >= this.perPair) return 'busy';
    // Full: the sender with the most pending gives up its oldest, if it has more than this one — so
    // a flooder cannot keep a newcomer out, while equal shares are kept (then the newcomer waits).
    if (this.total >= this.perReceiver && !this.evictFromHeaviest(mine)) return 'busy';
    if (!offers) {
      offers = new Map();
      this.byOfferer.set(offerer, offers);
    }
    offers.set(offerId, expires);
    this.total++;
    return 'ok';
  }

  private evictFromHeaviest(than: number): boolean {
    let heaviest: string | undefined;
    let most = than;
    for (const [offerer, offers] of this.byOfferer) {
      if (offers.size > most) {
        most = offers.size;
        heaviest = offerer;
      }
    }
    if (heaviest === undefined) return false;
    const offers = this.byOfferer.get(heaviest)!;
    const oldest = offers.keys().next().value as string;
    this.remove(heaviest, offers, oldest);
    this.markStale(heaviest, oldest);
    return true;
  }

  /** The offerer left: its offers can no longer be answered, and must not hold the receiver's slots. */
  dropOfferer(offerer: string): void {
    const offers = this.byOfferer.get(offerer);
    if (!offers) return;
    this.total -= offers.size;
    this.byOfferer.delete(offerer);
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

/** Candidates each relayed offer or answer allows (a browser gathers a handful to a few dozen). */
export const ICE_PER_EXCHANGE = 64;

/** Peers one peer may exchange ICE with: an offer or answer passed between them lately. */
export class IceAllowance {
  /**
   * peer → until when ICE may flow, and how many candidates are left. Expired entries are kept for
   * one more TTL to recognise late trickle.
   */
  private readonly entries = new Map<string, { until: number; candidates: number; refused?: true }>();

  constructor(
    private readonly max: number,
    private readonly graceMs: number,
  ) {}

  allow(peer: string, until: number): void {
    const entry = this.entries.get(peer);
    const left = entry && !entry.refused ? entry.candidates : 0;
    this.set(peer, { until, candidates: Math.min(left + ICE_PER_EXCHANGE, 4 * ICE_PER_EXCHANGE) });
  }

  /**
   * An offer to `peer` was refused. A trickle-ICE client sends its candidates right behind its offer,
   * before the refusal can reach it: up to one exchange's worth of them are dropped quietly, not
   * counted as violations. (In the lab, neighbour sets churning in a 50-viewer swarm refused offers,
   * and the candidates behind them closed honest viewers' connections.) An exchange in progress
   * with that peer keeps its allowance.
   */
  refuse(peer: string, until: number, now: number): void {
    const entry = this.entries.get(peer);
    if (entry && !entry.refused && entry.until >= now) return;
    this.set(peer, { until, candidates: ICE_PER_EXCHANGE, refused: true });
  }

  /** Takes one candidate: 'spent' when the exchange's candidates are used up, 'refused' to drop it quietly. */
  take(peer: string, now: number): 'ok' | 'expired' | 'none' | 'spent' | 'refused' {
    const entry = this.entries.get(peer);
    if (!entry) return 'none';
    if (entry.until < now) return 'expired';
    if (entry.candidates <= 0) return 'spent';
    entry.candidates--;
    return entry.refused ? 'refused' : 'ok';
  }

  private set(peer: string, entry: { until: number; candidates: number; refused?: true }): void {
    this.entries.delete(peer);
    this.entries.set(peer, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }

  expire(now: number): void {
    for (const [peer, entry] of this.entries) if (entry.until + this.graceMs < now) this.entries.delete(peer);
  }
}
