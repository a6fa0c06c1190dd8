/**
 * Relaying offers, answers and ICE between neighbours in one swarm (neighbourhood.ts), with the
 * sender stamped by the server.
 * The policy of what may pass (relay-policy.ts) is applied here; a pair whose offer was answered is
 * recorded as negotiated, which is what makes receipts between the two creditable.
 */
import type { RelayedFrame } from './cluster';
import type { AnswerMessage, IceMessage, OfferMessage, SignalErrorCode } from './protocol';
import { newBucket, takeToken } from './rate-limiter';
import type { PeerRecord } from './registry';
import { ICE_PER_EXCHANGE, IceAllowance, PendingOffers } from './relay-policy';
import type { Session, SignalingContext } from './session';
import { encodeServerFrame, type ServerFrameOf } from '../protocol';

const MAX_ICE_PEERS = 64;
const NOT_A_NEIGHBOUR = 'that peer is not one of your neighbours (offers go only to peers you were introduced to)';
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
    // Offers, and so the answers and ICE that follow them, pass only between neighbours: a peer
    // learns the addresses of those it was introduced to, not of every peer whose id it holds. An
    // introduction made on another instance is known there only: that instance checks.
    const introduced = session.neighbours?.has(msg.to) === true;
    if (!introduced && !('instance' in target)) {
      this.refused(session, msg.to);
      return this.notANeighbour(session);
    }
    const expires = this.ctx.now() + this.ctx.limits.offerTtlMs;
    const frame = relayed({ type: 'offer', from: peer.id, offerId: msg.offerId, sdp: msg.sdp });
    if ('instance' in target) {
      // The receiver's instance holds its intake and pending offers: it checks them, and answers a refusal.
      if (!this.toInstance(session, target.instance, msg.to, peer.swarmKey, frame, !introduced)) return;
    } else {
      if (!this.acceptOffer(target.session, peer.id, msg.offerId, (code, message) => this.ctx.error(session, code, message))) {
        this.refused(session, msg.to);
        return;
      }
      this.forward(target.session, frame);
    }
    const sentTo = session.offersSentTo ?? (session.offersSentTo = new Set());
    sentTo.add(msg.to);
    if (sentTo.size > MAX_OFFER_TARGETS) sentTo.delete(sentTo.values().next().value as string);
    this.allowIce(session, msg.to, expires);
  }

  answer(session: Session, peer: PeerRecord, msg: AnswerMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const now = this.ctx.now();
    // The offer was relayed in through this instance, whichever instance its sender is on.
    const found = session.pendingOffers?.take(msg.to, msg.offerId, now) ?? 'none';
    if (found === 'expired') {
      this.ctx.error(session, 'E_SIGNAL_OFFER_EXPIRED', 'that offer expired or was replaced by a newer one from the same peer');
      return;
    }
    if (found === 'none') {
      this.ctx.violation(session, 'E_SIGNAL_NO_OFFER', 'no pending offer from that peer with that offerId (answers are relayed only for relayed offers)');
      return;
    }
    const frame = relayed({ type: 'answer', from: peer.id, offerId: msg.offerId, sdp: msg.sdp });
    if ('instance' in target) {
      if (!this.toInstance(session, target.instance, msg.to, peer.swarmKey, frame)) return;
    } else {
      this.answered(target.session, peer.id, now);
      this.forward(target.session, frame);
    }
    this.answered(session, msg.to, now);
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
    // Candidates behind an offer that was refused: the sender has been told (it could not know yet).
    if (allowed === 'refused') return;
    if (allowed === 'spent') {
      this.ctx.violation(session, 'E_SIGNAL_RATE_LIMITED', `more than ${ICE_PER_EXCHANGE} ICE candidates for one offer or answer`, true);
      return;
    }
    const frame = relayed({ type: 'ice', from: peer.id, offerId: msg.offerId, candidate: msg.candidate });
    if ('instance' in target) this.toInstance(session, target.instance, msg.to, peer.swarmKey, frame);
    else this.forward(target.session, frame);
  }

  /**
   * A frame relayed by another instance for one of this instance's peers: validated and stamped
   * there; here only what this instance holds is checked (the receiver's offer intake and pending
   * offers), and a refusal goes back to the sender through its instance.
   */
  fromInstance(message: { to: string; swarmKey: string; frame: RelayedFrame; unintroduced?: true }): void {
    const { frame } = message;
    const refuse = (code: SignalErrorCode, text: string): void => {
      const owner = this.ctx.cluster?.remoteOwner(frame.from);
      if (owner) this.ctx.cluster!.sendTo(owner, { kind: 'error', to: frame.from, code, message: text });
    };
    const target = this.ctx.sessionOf(message.to);
    if (!target?.peer || target.peer.swarmKey !== message.swarmKey) return refuse('E_SIGNAL_UNKNOWN_PEER', 'no such peer in your swarm');
    if (frame.type === 'offer' && message.unintroduced && !target.neighbours?.has(frame.from)) return refuse('E_SIGNAL_UNKNOWN_PEER', NOT_A_NEIGHBOUR);
    if (frame.type === 'offer' && !this.acceptOffer(target, frame.from, frame.offerId, refuse)) return;
    if (frame.type === 'answer') this.answered(target, frame.from, this.ctx.now());
    this.forward(target, frame);
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

  /**
   * The addressee, only if it is in the sender's own swarm (a peer elsewhere looks unknown): a local
   * session, or the instance owning a peer of the shared replica.
   */
  private addressee(session: Session, peer: PeerRecord, to: string): { session: Session } | { instance: string } | undefined {
    if (to === peer.id) {
      this.ctx.violation(session, 'E_SIGNAL_BAD_FIELD', 'to must be another peer');
      return undefined;
    }
    const target = this.ctx.sessionOf(to);
    if (target?.peer && target.peer.swarmKey === peer.swarmKey) return { session: target };
    const owner = target ? undefined : this.ctx.cluster?.remoteOwner(to);
    if (owner !== undefined && this.ctx.cluster!.getPeer(peer.swarmKey, to)) return { instance: owner };
    this.ctx.error(session, 'E_SIGNAL_UNKNOWN_PEER', 'no such peer in your swarm');
    return undefined;
  }

  /** The receiver's bounds on offers (intake rate, pending offers); on success the pair may exchange ICE. */
  private acceptOffer(target: Session, from: string, offerId: string, refuse: (code: SignalErrorCode, message: string) => void): boolean {
    const limits = this.ctx.limits;
    const now = this.ctx.now();
    const intakeConfig = { ratePerSecond: limits.offersPerSecondToPeer, burst: limits.offerBurstToPeer };
    const intake = target.offerIntake ?? (target.offerIntake = newBucket(intakeConfig, now));
    const pending = target.pendingOffers ?? (target.pendingOffers = new PendingOffers(limits.maxPendingOffersPerPair, limits.maxPendingOffers));
    // Renegotiation with a peer it already connected to is not a stranger's offer: not counted.
    if (!target.negotiated?.has(from) && !takeToken(intake, intakeConfig, now)) {
      refuse('E_SIGNAL_BUSY', 'that peer is receiving offers faster than it may; try another peer or later');
      return false;
    }
    if (pending.add(from, offerId, now + limits.offerTtlMs) === 'busy') {
      refuse('E_SIGNAL_BUSY', 'that peer has too many offers pending (from you, or in all); try another peer or later');
      return false;
    }
    this.allowIce(target, from, now + limits.offerTtlMs);
    return true;
  }

  /** One side of an answered offer: the pair may exchange ICE, and receipts between them are creditable. */
  private answered(session: Session, other: string, now: number): void {
    this.allowIce(session, other, now + this.ctx.limits.offerTtlMs);
    markNegotiated(session, other);
  }

  private notANeighbour(session: Session): void {
    this.ctx.error(session, 'E_SIGNAL_UNKNOWN_PEER', NOT_A_NEIGHBOUR);
  }

  /** Publishes a frame for a peer of another instance; false (and the sender told) when Redis is unreachable. */
  private toInstance(session: Session, instance: string, to: string, swarmKey: string, frame: RelayedFrame, unintroduced = false): boolean {
    if (!this.ctx.cluster!.sendTo(instance, { kind: 'relay', to, swarmKey, frame, ...(unintroduced ? { unintroduced: true as const } : {}) })) {
      this.ctx.error(session, 'E_SIGNAL_UNKNOWN_PEER', 'that peer is on another instance, which cannot be reached now');
      return false;
    }
    this.relayed++;
    return true;
  }

  /** The sender's offer to `other` was refused: the ICE it trickles behind it is dropped quietly (relay-policy.ts). */
  private refused(session: Session, other: string): void {
    const now = this.ctx.now();
    this.iceAllowance(session).refuse(other, now + this.ctx.limits.offerTtlMs, now);
  }

  private allowIce(session: Session, other: string, until: number): void {
    this.iceAllowance(session).allow(other, until);
  }

  private iceAllowance(session: Session): IceAllowance {
    return session.iceAllowed ?? (session.iceAllowed = new IceAllowance(MAX_ICE_PEERS, this.ctx.limits.offerTtlMs));
  }

  private forward(target: Session, frame: RelayedFrame): void {
    this.relayed++;
    this.ctx.send(target, frame.text);
  }
}

/** A relayed frame, serialized once whether it is delivered here or published to another instance. */
function relayed(frame: ServerFrameOf<'offer' | 'answer' | 'ice'>): RelayedFrame {
  return { type: frame.type, from: frame.from, offerId: frame.offerId, text: encodeServerFrame(frame) };
}

function markNegotiated(session: Session, other: string): void {
  const negotiated = session.negotiated ?? (session.negotiated = new Set());
  negotiated.delete(other);
  negotiated.add(other);
  if (negotiated.size > MAX_NEGOTIATED) negotiated.delete(negotiated.values().next().value as string);
}
