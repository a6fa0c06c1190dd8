/**
 * The receipt desk: pairs each downloader's `receipt` with its uploader's `served` claim, whichever
 * comes first, and credits the smaller one within the downloader source's budget (rules in
 * receipts.ts). A receipt without its claim waits, bounded in number and time; rejections are audited
 * and, past a few per connection, count as violations (probing is not free).
 */
import type { AnnouncementStore } from './announcements';
import type { NetworkTagger } from './network-tags';
import type { ReceiptMessage, ReceiptPayload, ServedMessage, SignalErrorCode } from './protocol';
import { ReceiptBudget } from './receipt-budget';
import { receiptPayload, ReceiptValidator } from './receipts';
import type { PeerRecord } from './registry';
import type { Session, SignalingContext } from './session';
import type { SourceBudgets } from './source-budgets';

const MAX_SERVED_CLAIMS = 512;

/**
 * Rejections an honest client cannot avoid: viewers behind one NAT share an address (duplicate,
 * over budget), an uploader may have joined after the announcement or just left, a segment may have
 * an uploader's claim may never come. They are audited and refused, never counted
 * as violations; otherwise every household or office with several viewers would be disconnected.
 * What only a dishonest client sends (a segment never announced, a self-receipt, more bytes than the
 * segment has, a receipt for a pair that never negotiated) counts, past a few per source.
 */
const HONEST_REJECTIONS: ReadonlySet<SignalErrorCode> = new Set<SignalErrorCode>([
  'E_RECEIPT_DUPLICATE', 'E_RECEIPT_OVER_BUDGET', 'E_RECEIPT_BEFORE_JOIN', 'E_RECEIPT_UNKNOWN_UPLOADER', 'E_RECEIPT_UNCONFIRMED',
]);

export class ReceiptDesk {
  credited = 0;
  rejected = 0;
  private readonly validator: ReceiptValidator;
  private readonly budget: ReceiptBudget;

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
    const uploaderSession = this.ctx.sessionOf(msg.from);
    const uploader = uploaderSession?.peer?.swarmKey === peer.swarmKey ? uploaderSession.peer : undefined;
    const check = this.validator.check(peer, uploader, session.negotiated?.has(msg.from) === true, msg);
    if (!check.ok) return this.reject(session, peer, msg, check.code, check.message);
    if (!this.validator.firstFromSource(peer.swarmKey, msg.sequence, session.source)) {
      return this.reject(session, peer, msg, 'E_RECEIPT_DUPLICATE', `a receipt for segment ${msg.sequence} was already filed from this address`);
    }
    const claim = uploaderSession!.served?.get(`${msg.sequence}\n${peer.id}`);
    if (claim !== undefined) return this.credit(session, peer, uploaderSession!, msg, claim);
    const held = session.heldReceipts ?? (session.heldReceipts = new Map());
    if (held.size >= this.ctx.limits.maxHeldReceipts) {
      return this.reject(session, peer, msg, 'E_RECEIPT_UNCONFIRMED', `more than ${this.ctx.limits.maxHeldReceipts} receipts are waiting for their uploader's served claim`);
    }
    held.set(`${msg.from}\n${msg.sequence}`, { receipt: { ...msg }, until: this.ctx.now() + this.ctx.limits.receiptHoldMs });
  }

  /** The uploader's claim for one delivery; credits a receipt that was waiting for it, else waits for the receipt. */
  served(session: Session, peer: PeerRecord, msg: ServedMessage): void {
    const claims = session.served ?? (session.served = new Map());
    const key = `${msg.sequence}\n${msg.to}`;
    claims.delete(key);
    claims.set(key, msg.bytes);
    if (claims.size > MAX_SERVED_CLAIMS) claims.delete(claims.keys().next().value as string);
    const downloader = this.ctx.sessionOf(msg.to);
    const heldKey = `${peer.id}\n${msg.sequence}`;
    const held = downloader?.heldReceipts?.get(heldKey);
    if (!downloader?.peer || !held || downloader.peer.swarmKey !== peer.swarmKey) return;
    downloader.heldReceipts!.delete(heldKey);
    this.credit(downloader, downloader.peer, session, held.receipt, msg.bytes);
  }

  /** Refuses receipts whose uploader never sent its served claim in time (each sweep). */
  expireHeld(session: Session, now: number): void {
    const held = session.heldReceipts;
    if (!held?.size || !session.peer) return;
    for (const [key, entry] of held) {
      if (entry.until > now) continue;
      held.delete(key);
      this.reject(session, session.peer, entry.receipt, 'E_RECEIPT_UNCONFIRMED', `the uploader did not confirm serving segment ${entry.receipt.sequence} within ${this.ctx.limits.receiptHoldMs} ms`);
      if (session.closed) return;
    }
  }

  /** The session left its swarm: its claims and waiting receipts go (nobody awaits an ack any more). */
  forget(session: Session): void {
    session.served = undefined;
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

  trackedSwarms(): number {
    return this.validator.trackedSwarms();
  }

  /** Both claims are in: credits the smaller one, within the downloader source's budget. */
  private credit(session: Session, peer: PeerRecord, uploaderSession: Session, msg: ReceiptMessage, claim: number): void {
    const segment = this.announcements.find(peer.swarmKey, msg.sequence);
    if (!segment) return this.reject(session, peer, msg, 'E_RECEIPT_UNKNOWN_SEGMENT', `segment ${msg.sequence} left the receipt window`);
    const credited = this.budget.take(session.source, Math.min(msg.bytes, claim), this.ctx.now());
    if (credited === 0) {
      return this.reject(session, peer, msg, 'E_RECEIPT_OVER_BUDGET', `this address was credited its ${this.ctx.limits.receiptBytesPerPeriod} bytes for the period`);
    }
    const receipt = receiptPayload(
      segment, msg, claim, credited,
      { peer: uploaderSession.peer!, source: uploaderSession.source, network: uploaderSession.network },
      { peer, source: session.source, network: session.network, sourceTag: this.tagger.tag(`src:${session.source}`) },
      new Date(this.ctx.now()),
    );
    this.credited++;
    this.ctx.send(session, JSON.stringify({ type: 'receipt-ack', sequence: msg.sequence, from: msg.from }));
    this.onReceipt(receipt);
  }

  private reject(session: Session, peer: PeerRecord, msg: ReceiptMessage, code: SignalErrorCode, message: string): void {
    this.rejected++;
    this.ctx.audit({
      kind: 'receipt', code, message, ip: session.ip,
      peer: peer.id, stream: session.stream, rendition: session.rendition, receipt: { ...msg },
    });
    // A few impossible-for-honest rejections may be a bug; a stream of them is probing. Counted per
    // source, so reconnecting buys no fresh allowance.
    if (HONEST_REJECTIONS.has(code) || this.sources.receiptRejected(session.budget, this.ctx.now())) this.ctx.error(session, code, message);
    else this.ctx.violation(session, code, message);
  }
}
