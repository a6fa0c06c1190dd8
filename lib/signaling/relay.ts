/**
 * Relaying offers, answers and ICE between peers of one swarm, with the sender stamped by the server.
 * The policy of what may pass (relay-policy.ts) is applied here; a pair whose offer was answered is
 * recorded as negotiated, which is what makes receipts between the two creditable.
 */
import type { AnswerMessage, IceMessage, OfferMessage } from './protocol';
import { newBucket, takeToken } from './rate-limiter';
import type { PeerRecord } from './registry';
import { ICE_PER_EXCHANGE, IceAllowance, PendingOffers } from './relay-policy';
import type { Session, SignalingContext } from './session';

const MAX_ICE_PEERS = 64;
const MAX_NEGOTIATED = 128;
/** Receivers a sender's pending offers are remembered at (freed when it leaves); bounded like its rate. */
const MAX_OFFER_TARGETS = 256;

export class Relay {
  /** Frames relayed since start (the stats output). */
  relayed = 0;

  constructor(private readonly ctx: SignalingContext) {}

  offer(session: Session, peer: PeerRecord, msg: OfferMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const limits = this.ctx.limits;
    const expires = this.ctx.now() + limits.offerTtlMs;
    const now = this.ctx.now();
    const intakeConfig = { ratePerSecond: limits.offersPerSecondToPeer, burst: limits.offerBurstToPeer };
    const intake = target.offerIntake ?? (target.offerIntake = newBucket(intakeConfig, now));
    const pending = target.pendingOffers ?? (target.pendingOffers = new PendingOffers(limits.maxPendingOffersPerPair, limits.maxPendingOffers));
    // Renegotiation with a peer it already connected to is not a stranger's offer: not counted.
    if (!target.negotiated?.has(peer.id) && !takeToken(intake, intakeConfig, now)) {
      this.ctx.error(session, 'E_SIGNAL_BUSY', 'that peer is receiving offers faster than it may; try another peer or later');
      return;
    }
    if (pending.add(peer.id, msg.offerId, expires) === 'busy') {
      this.ctx.error(session, 'E_SIGNAL_BUSY', 'that peer has too many offers pending (from you, or in all); try another peer or later');
      return;
    }
    const sentTo = session.offersSentTo ?? (session.offersSentTo = new Set());
    sentTo.add(msg.to);
    if (sentTo.size > MAX_OFFER_TARGETS) sentTo.delete(sentTo.values().next().value as string);
    this.allowIce(session, msg.to, expires);
    this.allowIce(target, peer.id, expires);
    this.forward(target, { type: 'offer', from: peer.id, offerId: msg.offerId, sdp: msg.sdp });
  }

  answer(session: Session, peer: PeerRecord, msg: AnswerMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const now = this.ctx.now();
    const found = session.pendingOffers?.take(msg.to, msg.offerId, now) ?? 'none';
    if (found === 'expired') {
      this.ctx.error(session, 'E_SIGNAL_OFFER_EXPIRED', 'that offer expired or was replaced by a newer one from the same peer');
      return;
    }
    if (found === 'none') {
      this.ctx.violation(session, 'E_SIGNAL_NO_OFFER', 'no pending offer from that peer with that offerId (answers are relayed only for relayed offers)');
      return;
    }
    const until = now + this.ctx.limits.offerTtlMs;
    this.allowIce(session, msg.to, until);
    this.allowIce(target, peer.id, until);
    markNegotiated(session, msg.to);
    markNegotiated(target, peer.id);
    this.forward(target, { type: 'answer', from: peer.id, offerId: msg.offerId, sdp: msg.sdp });
  }

  ice(session: Session, peer: PeerRecord, msg: IceMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const allowed = session.iceAllowed?.take(msg.to, this.ctx.now()) ?? 'none';
    if (allowed === 'expired') {
      this.ctx.error(session, 'E_SIGNAL_SESSION_EXPIRED', 'the offer/answer exchange with that peer is over; late candidates are dropped');
      return;
    }
    if (allowed === 'none') {
      this.ctx.violation(session, 'E_SIGNAL_NO_SESSION', 'ICE candidates flow only between peers with an offer or answer in progress');
      return;
    }
    if (allowed === 'spent') {
      this.ctx.violation(session, 'E_SIGNAL_RATE_LIMITED', `more than ${ICE_PER_EXCHANGE} ICE candidates for one offer or answer`, true);
      return;
    }
    this.forward(target, { type: 'ice', from: peer.id, offerId: msg.offerId, candidate: msg.candidate });
  }

  /** Drops expired relay state of one session (each heartbeat). */
  expire(session: Session, now: number): void {
    session.pendingOffers?.expire(now);
    session.iceAllowed?.expire(now);
  }

  /** Forgets everything relayed to or for a session that left its swarm, and frees the slots its offers held. */
  forget(session: Session, peerId: string): void {
    for (const receiver of session.offersSentTo ?? []) this.ctx.sessionOf(receiver)?.pendingOffers?.dropOfferer(peerId);
    session.offersSentTo = undefined;
    session.pendingOffers = undefined;
    session.iceAllowed = undefined;
    session.negotiated = undefined;
  }

  /** The addressee, only if it is in the sender's own swarm (a peer elsewhere looks unknown). */
  private addressee(session: Session, peer: PeerRecord, to: string): Session | undefined {
    if (to === peer.id) {
      this.ctx.violation(session, 'E_SIGNAL_BAD_FIELD', 'to must be another peer');
      return undefined;
    }
    const target = this.ctx.sessionOf(to);
    if (!target || !target.peer || target.peer.swarmKey !== peer.swarmKey) {
      this.ctx.error(session, 'E_SIGNAL_UNKNOWN_PEER', 'no such peer in your swarm');
      return undefined;
    }
    return target;
  }

  private allowIce(session: Session, other: string, until: number): void {
    const allowance = session.iceAllowed ?? (session.iceAllowed = new IceAllowance(MAX_ICE_PEERS, this.ctx.limits.offerTtlMs));
    allowance.allow(other, until);
  }

  private forward(target: Session, frame: Record<string, unknown>): void {
    this.relayed++;
    this.ctx.send(target, JSON.stringify(frame));
  }
}

function markNegotiated(session: Session, other: string): void {
  const negotiated = session.negotiated ?? (session.negotiated = new Set());
  negotiated.delete(other);
  negotiated.add(other);
  if (negotiated.size > MAX_NEGOTIATED) negotiated.delete(negotiated.values().next().value as string);
}
