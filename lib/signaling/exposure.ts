/**
 * Exposure ledger: which networks the viewers of one network have met in one stream lately. Meeting
 * (being introduced, either way) is what lets two peers relay offers and ICE candidates, and so learn
 * each other's addresses. Each network may meet at most `exposureNetworks` distinct networks per
 * stream; an entry lasts `exposureWindowMs` after the two last met. An entry added within any window
 * is still there at its end, so no network adds more than `exposureNetworks` entries in any window:
 * leaving and rejoining, from any address of the network, buys nothing new. Because the other side
 * is counted by network too, a client rotating through the addresses of its /24 or /48 fills one
 * entry of its victims' ledgers, not one per address.
 *
 * The ledger also remembers the last peer met from each network: a rejoin is introduced to those
 * first (the same neighbourhood back, not a fresh sample), at no new exposure.
 *
 * Per process: with several instances sharing swarms, each keeps its own ledger.
 */

export interface ExposureLimits {
  exposureNetworks: number;
  exposureWindowMs: number;
}

interface Met {
  /** When the two networks last met. */
  at: number;
  /** The peer last met from that network. */
  peer: string;
}

/** Ledgers held at most (one per network and stream that met anyone within the window). */
const MAX_LEDGERS = 200_000;

export class ExposureLedger {
  private readonly ledgers = new Map<string, Map<string, Met>>();

  constructor(
    private readonly limits: ExposureLimits,
    private readonly maxLedgers = MAX_LEDGERS,
  ) {}

  /** Whether networks `a` and `b` may meet in swarm `swarmKey`: each has met the other lately, or has room. */
  mayMeet(swarmKey: string, a: string, b: string, now: number): boolean {
    return this.hasRoomFor(swarmKey, a, b, now) && this.hasRoomFor(swarmKey, b, a, now);
  }

  /** Records a meeting of peer `aPeer` (network `a`) with peer `bPeer` (network `b`); call after mayMeet. */
  meet(swarmKey: string, a: string, aPeer: string, b: string, bPeer: string, now: number): void {
    this.record(swarmKey, a, b, bPeer, now);
    this.record(swarmKey, b, a, aPeer, now);
  }

  /** Peers last met by `network` in the swarm within the window, most recent first. */
  remembered(swarmKey: string, network: string, now: number): string[] {
    const ledger = this.live(swarmKey, network, now);
    if (!ledger) return [];
    return [...ledger.values()].reverse().map((met) => met.peer);
  }

  /** Ledgers held (the bounds spec watches it). */
  size(): number {
    return this.ledgers.size;
  }

  private hasRoomFor(swarmKey: string, owner: string, other: string, now: number): boolean {
    const ledger = this.live(swarmKey, owner, now);
    if (ledger) return ledger.has(other) || ledger.size < this.limits.exposureNetworks;
    // A network with no ledger yet needs a place in the table: privacy first, so a full table introduces no one new.
    return this.limits.exposureNetworks > 0 && (this.ledgers.size < this.maxLedgers || this.prune(now) < this.maxLedgers);
  }

  private record(swarmKey: string, owner: string, other: string, peer: string, now: number): void {
    const key = ledgerKey(swarmKey, owner);
    let ledger = this.live(swarmKey, owner, now);
    if (!ledger) this.ledgers.set(key, (ledger = new Map()));
    // Re-inserted, so the ledger stays ordered by last meeting (oldest first: expiry stops at the first live one).
    ledger.delete(other);
    ledger.set(other, { at: now, peer });
  }

  /** The owner's ledger with expired entries dropped; undefined (and deleted) when nothing is left. */
  private live(swarmKey: string, owner: string, now: number): Map<string, Met> | undefined {
    const key = ledgerKey(swarmKey, owner);
    const ledger = this.ledgers.get(key);
    if (!ledger) return undefined;
    for (const [other, met] of ledger) {
      if (now - met.at < this.limits.exposureWindowMs) break;
      ledger.delete(other);
    }
    if (ledger.size > 0) return ledger;
    this.ledgers.delete(key);
    return undefined;
  }

  /** Drops every expired entry; returns the ledgers left. */
  private prune(now: number): number {
    for (const key of [...this.ledgers.keys()]) {
      const cut = key.indexOf('\n');
      this.live(key.slice(cut + 1), key.slice(0, cut), now);
    }
    return this.ledgers.size;
  }
}

/** Network first: a tag is hex, so the first newline ends it whatever the stream's name holds. */
function ledgerKey(swarmKey: string, network: string): string {
  return `${network}\n${swarmKey}`;
}
