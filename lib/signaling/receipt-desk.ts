/**
 * The receipt desk: pairs each downloader's `receipt` with its uploader's `served` claim, whichever
 * comes first, and credits the smaller one within the downloader source's budget (rules in
 * receipts.ts). A receipt without its claim waits, bounded in number and time; so does one whose
 * claim is still smaller. An uploader claims its running total for a segment after a quiet spell
 * (lib/peer/served-claims.ts), so when its pieces to one downloader come more than that apart (a slow
 * uplink, several holders) a partial total arrives first; crediting it at once lost the rest, about a
 * quarter of a segment in a loaded run. At the end of the wait the latest claim is credited.
 *
 * A refusal only a dishonest or buggy client earns is audited and answered, and past a few per
 * source counts as a violation (probing is not free). A refusal an honest client cannot avoid (a household behind one NAT
 * files every segment's receipt once per viewer, and all but the first are refused) gets no answer —
 * there is nothing the client could do about it — and is audited in aggregate: one record per source
 * and code at once, then one per minute with the count, however many viewers share the source.
 */
import type { AnnouncementStore, StoredAnnouncement } from './announcements';
import type { NetworkTagger } from './network-tags';
import { HONEST_RECEIPT_REFUSALS, type ReceiptMessage, type ReceiptPayload, type ServedMessage, type SignalErrorCode } from './protocol';
import { ReceiptBudget } from './receipt-budget';
import { receiptPayload, ReceiptValidator, type DeliveryEnd } from './receipts';
import { RefusalAudit } from './refusal-audit';
import type { PeerRecord } from './registry';
import type { AuditEvent, Session, SignalingContext } from './session';
import type { SourceBudgets } from './source-budgets';
import { encodeServerFrame } from '../protocol';

const MAX_SERVED_CLAIMS = 512;
/** Honest refusals of one source and code are audited as one record per this much time, with a count. */
export const HONEST_REFUSAL_AUDIT_MS = 60_000;

/** What an aggregated record of honest refusals says: the last one's words and where it came from. */
interface HonestRefusal {
  code: SignalErrorCode;
  message: string;
  ip: string;
  stream?: string;
  rendition?: string;
}

export class ReceiptDesk {
  credited = 0;
  rejected = 0;
  private readonly validator: ReceiptValidator;
  private readonly budget: ReceiptBudget;
  private readonly honestRefusals = new RefusalAudit<HonestRefusal>(HONEST_REFUSAL_AUDIT_MS);

  constructor(
    private readonly ctx: SignalingContext,
    private readonly announcements: AnnouncementStore,
    private readonly tagger: NetworkTagger,
    private readonly sources: SourceBudgets,
    private readonly onReceipt: (receipt: ReceiptPayload) => void,
  ) {
    this.validator = new ReceiptValidator(announcements);
    this.budget = new ReceiptBudget(ctx.limits.receiptBytesPerPeriod, ctx.limits.receiptPeriodMs);
  }

  receipt(session: Session, peer: PeerRecord, msg: ReceiptMessage): void {
    const uploader = this.uploaderOf(peer, msg.from);
    const check = this.validator.check(peer, uploader?.peer, session.negotiated?.has(msg.from) === true, msg);
    if (!check.ok) return this.reject(session, peer, msg, check.code, check.message);
    if (!this.validator.firstFromSource(peer.renditionKey, msg.sequence, session.source)) {
      return this.reject(session, peer, msg, 'E_RECEIPT_DUPLICATE', `a receipt for segment ${msg.sequence} was already filed from this address`);
    }
    const claim = uploader!.claim(msg.sequence, session);
    if (claim !== undefined && claim.bytes >= msg.bytes) return this.credit(session, peer, claim.end, msg, claim.bytes);
    const held = session.heldReceipts ?? (session.heldReceipts = new Map());
    if (held.size >= this.ctx.limits.maxHeldReceipts) {
      return this.reject(
        session,
        peer,
        msg,
        'E_RECEIPT_UNCONFIRMED',
        `more than ${this.ctx.limits.maxHeldReceipts} receipts are waiting for their uploader's served claim`,
      );
    }
    held.set(`${msg.from}\n${msg.sequence}`, { receipt: { ...msg }, until: this.ctx.now() + this.ctx.limits.receiptHoldMs });
  }

  /** The uploader's claim for one delivery; credits a receipt that was waiting for it, else waits for the receipt. */
  served(session: Session, peer: PeerRecord, msg: ServedMessage): void {
    // Section 8: `to` = self is a bad field, as on every addressed message (a claim to oneself credits nothing).
    if (msg.to === peer.id) return this.ctx.violation(session, 'E_SIGNAL_BAD_FIELD', 'to must be another peer');
    const claims = session.served ?? (session.served = new Map());
    // A claim is bound to the rendition the uploader plays when it sends it (ordered socket: the
    // same one it served from); a receipt pairs with it only within that rendition.
    const key = `${peer.rendition}\n${msg.sequence}\n${msg.to}`;
    claims.delete(key);
    claims.set(key, msg.bytes);
    if (claims.size > MAX_SERVED_CLAIMS) claims.delete(claims.keys().next().value as string);
    const downloader = this.ctx.sessionOf(msg.to);
    if (!downloader) {
      // The downloader's instance validates its receipts: the claim goes there.
      const owner = this.ctx.cluster?.remoteOwner(msg.to);
      if (owner !== undefined && this.ctx.cluster!.getPeer(peer.swarmKey, msg.to)) {
        this.ctx.cluster!.sendTo(owner, {
          kind: 'served',
          to: msg.to,
          swarmKey: peer.swarmKey,
          rendition: peer.rendition,
          from: peer.id,
          sequence: msg.sequence,
          bytes: msg.bytes,
          source: session.source,
          network: session.network,
        });
      }
      return;
    }
    this.claimArrived(downloader, peer.rendition, peer.id, msg.sequence, msg.bytes, { peer, source: session.source, network: session.network });
  }

  /** A served claim relayed from the uploader's instance, for a downloader of this one. */
  servedFromInstance(message: {
    to: string;
    swarmKey: string;
    rendition: string;
    from: string;
    sequence: number;
    bytes: number;
    source: string;
    network: string;
  }): void {
    const downloader = this.ctx.sessionOf(message.to);
    const uploader = this.ctx.cluster?.getPeer(message.swarmKey, message.from);
    if (!downloader?.peer || downloader.peer.swarmKey !== message.swarmKey || !uploader) return;
    const claims = downloader.remoteClaims ?? (downloader.remoteClaims = new Map());
    const key = `${message.rendition}\n${message.from}\n${message.sequence}`;
    claims.delete(key);
    claims.set(key, { bytes: message.bytes, source: message.source, network: message.network });
    if (claims.size > MAX_SERVED_CLAIMS) claims.delete(claims.keys().next().value as string);
    this.claimArrived(downloader, message.rendition, message.from, message.sequence, message.bytes, {
      peer: uploader,
      source: message.source,
      network: message.network,
    });
  }

  /** Refuses receipts whose uploader never sent its served claim in time (each sweep). */
  expireHeld(session: Session, now: number): void {
    const held = session.heldReceipts;
    if (!held?.size || !session.peer) return;
    for (const [key, entry] of held) {
      if (entry.until > now) continue;
      held.delete(key);
      // A smaller claim came in while it waited: the smaller figure is what both ends agree on.
      const partial = this.uploaderOf(session.peer, entry.receipt.from)?.claim(entry.receipt.sequence, session);
      if (partial !== undefined) {
        this.credit(session, session.peer, partial.end, entry.receipt, partial.bytes);
        if (session.closed) return;
        continue;
      }
      this.reject(
        session,
        session.peer,
        entry.receipt,
        'E_RECEIPT_UNCONFIRMED',
        `the uploader did not confirm serving segment ${entry.receipt.sequence} within ${this.ctx.limits.receiptHoldMs} ms`,
      );
      if (session.closed) return;
    }
  }

  /** The session left its swarm: its claims and waiting receipts go (nobody awaits an ack any more). */
  forget(session: Session): void {
    session.served = undefined;
    session.remoteClaims = undefined;
    session.heldReceipts = undefined;
  }

  /** Drops dedupe state for segments that left the window. */
  prune(swarmKey: string): void {
    this.validator.prune(swarmKey);
  }

  /** Drops a swarm's dedupe state (it emptied, or its stream restarted its sequence numbers). */
  forgetSwarm(swarmKey: string): void {
    this.validator.forget(swarmKey);
  }

  /** Each sweep: one audit record per source and code whose minute of honest refusals ended, with their count. */
  flushAudit(): void {
    for (const { repeated, detail } of this.honestRefusals.flush(this.ctx.now())) {
      const { code, message, ...where } = detail;
      const seconds = HONEST_REFUSAL_AUDIT_MS / 1000;
      this.ctx.audit({ kind: 'receipt', code, message: `${repeated} more in ${seconds} s from this source (last: ${message})`, repeated, ...where });
    }
  }

  trackedSwarms(): number {
    return this.validator.trackedSwarms();
  }

  /** Credits a receipt that was waiting for this claim, if one was. */
  private claimArrived(downloader: Session, rendition: string, uploaderId: string, sequence: number, bytes: number, uploader: DeliveryEnd): void {
    const heldKey = `${uploaderId}\n${sequence}`;
    const held = downloader.heldReceipts?.get(heldKey);
    // Held receipts are of the rendition the downloader plays (a switch drops them): a claim of another rendition is for another segment.
    if (!downloader.peer || !held || downloader.peer.rendition !== rendition) return;
    // A running total short of the receipt: the uploader's next claim will say more (or the wait ends).
    if (bytes < held.receipt.bytes) return;
    downloader.heldReceipts!.delete(heldKey);
    this.credit(downloader, downloader.peer, uploader, held.receipt, bytes);
  }

  /**
   * The uploader of a receipt, if it is a member of the downloader's swarm: a peer of this instance
   * (its claims are on its session) or of another one (its claims were relayed to the downloader).
   */
  private uploaderOf(
    downloader: PeerRecord,
    uploaderId: string,
  ): { peer: PeerRecord; claim: (sequence: number, session: Session) => { bytes: number; end: DeliveryEnd } | undefined } | undefined {
    const local = this.ctx.sessionOf(uploaderId);
    if (local) {
      const peer = local.peer?.swarmKey === downloader.swarmKey ? local.peer : undefined;
      if (!peer) return undefined;
      return {
        peer,
        claim: (sequence) => {
          const bytes = local.served?.get(`${downloader.rendition}\n${sequence}\n${downloader.id}`);
          return bytes === undefined ? undefined : { bytes, end: { peer, source: local.source, network: local.network } };
        },
      };
    }
    const peer = this.ctx.cluster?.remoteOwner(uploaderId) === undefined ? undefined : this.ctx.cluster!.getPeer(downloader.swarmKey, uploaderId);
    if (!peer) return undefined;
    return {
      peer,
      claim: (sequence, session) => {
        const claim = session.remoteClaims?.get(`${downloader.rendition}\n${uploaderId}\n${sequence}`);
        return claim === undefined ? undefined : { bytes: claim.bytes, end: { peer, source: claim.source, network: claim.network } };
      },
    };
  }

  /**
   * Both claims are in: credits the smaller one, within the downloader source's budget. With a
   * shared registry the dedupe and budget are cluster-wide (one source may reach several instances).
   */
  private credit(session: Session, peer: PeerRecord, uploader: DeliveryEnd, msg: ReceiptMessage, claim: number): void {
    const segment = this.announcements.find(peer.renditionKey, msg.sequence);
    if (!segment) return this.reject(session, peer, msg, 'E_RECEIPT_UNKNOWN_SEGMENT', `segment ${msg.sequence} left the receipt window`);
    const wanted = Math.min(msg.bytes, claim);
    const limits = this.ctx.limits;
    const cluster = this.ctx.cluster;
    if (!cluster) return this.grant(session, peer, uploader, msg, segment, claim, this.budget.take(session.source, wanted, this.ctx.now()));
    const now = this.ctx.now();
    cluster
      .claimReceipt(
        { swarmKey: peer.renditionKey, sequence: msg.sequence, sha256: segment.sha256, source: session.source, bytes: wanted, now },
        limits.receiptBytesPerPeriod,
        limits.receiptPeriodMs,
      )
      .then((granted) => {
        if (granted === 'duplicate')
          return this.reject(session, peer, msg, 'E_RECEIPT_DUPLICATE', `a receipt for segment ${msg.sequence} was already filed from this address`);
        if (granted === 'unavailable')
          return this.reject(
            session,
            peer,
            msg,
            'E_RECEIPT_UNCONFIRMED',
            'the shared receipt ledger (Redis) cannot be reached; receipts are refused until it is back',
          );
        this.grant(session, peer, uploader, msg, segment, claim, granted);
      })
      .catch((err: unknown) =>
        this.ctx.audit({
          kind: 'receipt',
          code: 'E_RECEIPT_UNCONFIRMED',
          message: `receipt crediting failed: ${err instanceof Error ? err.message : String(err)}`,
          peer: peer.id,
        }),
      );
  }

  private grant(
    session: Session,
    peer: PeerRecord,
    uploader: DeliveryEnd,
    msg: ReceiptMessage,
    segment: StoredAnnouncement,
    claim: number,
    credited: number,
  ): void {
    if (credited === 0) {
      return this.reject(
        session,
        peer,
        msg,
        'E_RECEIPT_OVER_BUDGET',
        `this address was credited its ${this.ctx.limits.receiptBytesPerPeriod} bytes for the period`,
      );
    }
    const receipt = receiptPayload(
      segment,
      msg,
      claim,
      credited,
      uploader,
      { peer, source: session.source, network: session.network, sourceTag: this.tagger.tag(`src:${session.source}`) },
      new Date(this.ctx.now()),
    );
    this.credited++;
    this.ctx.send(session, encodeServerFrame({ type: 'receipt-ack', sequence: msg.sequence, from: msg.from }));
    this.onReceipt(receipt);
  }

  private reject(session: Session, peer: PeerRecord, msg: ReceiptMessage, code: SignalErrorCode, message: string): void {
    this.rejected++;
    if (HONEST_RECEIPT_REFUSALS.has(code)) return this.honestRefusal(session, peer, msg, code, message);
    this.ctx.audit({
      kind: 'receipt',
      code,
      message,
      ip: session.ip,
      peer: peer.id,
      stream: session.stream,
      rendition: session.rendition,
      receipt: { ...msg },
    });
    // A few impossible-for-honest rejections may be a bug; a stream of them is probing. Counted per
    // source, so reconnecting buys no fresh allowance.
    if (this.sources.receiptRejected(session.budget, this.ctx.now())) this.ctx.error(session, code, message);
    else this.ctx.violation(session, code, message);
  }

  /** A refusal an honest client cannot avoid (HONEST_RECEIPT_REFUSALS): never a violation, never answered, audited in aggregate. */
  private honestRefusal(session: Session, peer: PeerRecord, msg: ReceiptMessage, code: SignalErrorCode, message: string): void {
    const where = { ip: session.ip, stream: session.stream, rendition: session.rendition };
    const verdict = this.honestRefusals.note(session.source, code, this.ctx.now(), { code, message, ...where });
    if (!verdict.record) return;
    const event: AuditEvent = { kind: 'receipt', code, message, ...where, peer: peer.id, receipt: { ...msg } };
    if (verdict.repeated > 1) event.repeated = verdict.repeated;
    this.ctx.audit(event);
  }
}
