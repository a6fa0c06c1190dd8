/**
 * What a receipt earns: the one place the crediting rules live. Every store (SQLite and
 * PostgreSQL) gathers the committed facts a batch needs, calls decideBatch inside its
 * transaction and writes the decisions; the rules never touch a database themselves.
 *
 * The one stateful rule, the per-network cap, credits at most one segment's bytes per (media time
 * slot, downloader network): a network watches one rendition at a time, so claims for other
 * renditions of the slot, and deliveries of it by other supporter accounts, share that one
 * segment's worth instead of multiplying it (docs/payout-threat-model.md states the bound).
 *
 * Order independence: every refusal depends only on the receipt itself and on whether its id was
 * seen. Within one rendition the bytes credited to a slot and network are min(Σ bytes, size) in any
 * order; which supporter gets them is first come, first served (the network had the slot once).
 */
import type { PayoutReceipt, PublishedSegment } from './msg-input';

export interface RuleSettings {
  /** Equal network tags on both ends: refuse as self-dealing (default), or credit anyway. */
  sameNetwork: 'refuse' | 'allow';
  /**
   * A receipt without both network tags: credit it, counting each downloader connection as its own
   * network (default; the same-network rule and the network cap cannot apply), or refuse it.
   */
  untagged: 'credit' | 'refuse';
  /** Trust the segment size and hash signaling announced (default), or require a published segment msg. */
  segments: 'signaling' | 'published';
}

export const DEFAULT_RULES: RuleSettings = { sameNetwork: 'refuse', untagged: 'credit', segments: 'signaling' };

/** Committed state a batch is judged against (what earlier batches wrote). */
export interface RuleFacts {
  hasReceipt(id: string): boolean;
  /** Bytes already credited for this cap key (see capKey). */
  creditedFor(capKey: string): number;
  /** Only consulted with `segments: 'published'`. */
  published(stream: string, rendition: string, sequence: number): PublishedSegment | undefined;
}

export type Refusal =
  | 'DUPLICATE'
  | 'UNKNOWN_SEGMENT'
  | 'SEGMENT_MISMATCH'
  | 'INFLATED_BYTES'
  | 'NOT_SUPPORTER'
  | 'SELF_RECEIPT'
  | 'SELF_DEALING'
  | 'SAME_NETWORK'
  | 'UNTAGGED'
  | 'NETWORK_CAP';

export interface Credited {
  status: 'credited';
  receipt: PayoutReceipt;
  supporter: string;
  credited: number;
  capKey: string;
  /** The downloader's network as counted for "viewers helped" (its tag, or its connection when untagged). */
  network: string;
  /** True when the receipt carried no network tags, so network rules could not be applied. */
  untagged: boolean;
  /** True when the cap cut the receipt's bytes. */
  capped: boolean;
}

export interface Refused {
  status: 'refused';
  receipt: PayoutReceipt;
  code: Refusal;
  reason: string;
}

export type Decision = Credited | Refused;

/**
 * The media time slot a receipt's segment fills. With a session, (stream, session, sequence) is the
 * slot across renditions: hls-watch numbers a session's renditions from its start and an encoder
 * ladder cuts them together; a new session (an encoder restart that reuses numbers) is a new slot.
 * A receipt without one (a signaling node from before receipts named it, or an announcement that
 * named none) is keyed on its segment's hash instead (64 bits of it, as receipt ids use 48: the
 * segments are the operator's, nobody chooses their hashes), so a reused number is still a new
 * segment, but each rendition is then its own slot.
 */
export function slotOf(r: PayoutReceipt): string {
  return r.session !== undefined ? `${r.stream}\u0000s:${r.session}\u0000${r.sequence}` : `${r.stream}\u0000h:${r.sha256.slice(0, 16)}\u0000${r.sequence}`;
}

/**
 * The cap is per media time slot and downloader network: never per connection, rendition or
 * uploading supporter (each of those a cheater can multiply).
 */
export function capKey(r: PayoutReceipt, network: string): string {
  return `${slotOf(r)}\u0000${network}`;
}

const UNTAGGED_NOTE = 'no network tags on this receipt: the same-network rule and the per-network cap were not applied';

function refuse(receipt: PayoutReceipt, code: Refusal, reason: string): Refused {
  return { status: 'refused', receipt, code, reason };
}

/** Rules that look at the receipt alone (no ledger state). */
function checkAlone(r: PayoutReceipt, settings: RuleSettings, facts: RuleFacts): Refused | undefined {
  if (settings.segments === 'published') {
    const seg = facts.published(r.stream, r.rendition, r.sequence);
    if (!seg) return refuse(r, 'UNKNOWN_SEGMENT', `segment ${r.stream}/${r.rendition}/${r.sequence} was never published to this node`);
    if (seg.size !== r.segmentSize || seg.sha256 !== r.sha256) {
      return refuse(
        r,
        'SEGMENT_MISMATCH',
        `receipt names size ${r.segmentSize} and hash ${r.sha256.slice(0, 12)}…, the published segment has ${seg.size} and ${seg.sha256.slice(0, 12)}…`,
      );
    }
  }
  if (r.bytes === 0 || r.bytes > r.segmentSize) return refuse(r, 'INFLATED_BYTES', `${r.bytes} bytes claimed for a segment of ${r.segmentSize}`);
  if (r.uploader.role !== 'supporter' || !r.uploader.supporter) {
    return refuse(r, 'NOT_SUPPORTER', 'the uploader joined as a viewer: only supporters earn, and never for their own downloads');
  }
  if (r.uploader.peer === r.downloader.peer) return refuse(r, 'SELF_RECEIPT', 'uploader and downloader are the same connection');
  if (r.downloader.supporter === r.uploader.supporter) {
    return refuse(r, 'SELF_DEALING', `supporter ${r.uploader.supporter} is on both ends`);
  }
  const tagged = r.uploader.network !== undefined && r.downloader.network !== undefined;
  if (!tagged && settings.untagged === 'refuse') return refuse(r, 'UNTAGGED', `${UNTAGGED_NOTE}; refused by the Untagged setting`);
  if (tagged && r.uploader.network === r.downloader.network && settings.sameNetwork === 'refuse') {
    return refuse(r, 'SAME_NETWORK', "the downloader is on the uploader's own network (equal network tags): self-dealing");
  }
  return undefined;
}

/**
 * Judges a batch in order. Decisions within the batch see each other (a replay inside the batch is
 * a duplicate; the cap counts bytes credited earlier in the batch).
 */
export function decideBatch(receipts: PayoutReceipt[], facts: RuleFacts, settings: RuleSettings): Decision[] {
  const seen = new Set<string>();
  const pending = new Map<string, number>();
  return receipts.map((r): Decision => {
    if (seen.has(r.id) || facts.hasReceipt(r.id)) return refuse(r, 'DUPLICATE', `receipt ${r.id} is already in the ledger: a replay changes nothing`);
    seen.add(r.id);
    const refused = checkAlone(r, settings, facts);
    if (refused) return refused;
    const supporter = r.uploader.supporter as string;
    const untagged = r.downloader.network === undefined || r.uploader.network === undefined;
    // Without tags the best available stand-in for a network is the downloader's connection.
    const network = untagged ? `peer:${r.downloader.peer}` : `net:${r.downloader.network}`;
    const key = capKey(r, network);
    const already = pending.get(key) ?? facts.creditedFor(key);
    const room = Math.max(0, r.segmentSize - already);
    if (room === 0) {
      return refuse(
        r,
        'NETWORK_CAP',
        untagged
          ? `this downloader connection was already credited a whole segment for this media time slot (${UNTAGGED_NOTE})`
          : 'this downloader network was already credited a whole segment for this media time slot: many viewers, renditions or supporters on one network earn what one delivery would',
      );
    }
    const credited = Math.min(r.bytes, room);
    pending.set(key, already + credited);
    return { status: 'credited', receipt: r, supporter, credited, capKey: key, network, untagged, capped: credited < r.bytes };
  });
}

export { UNTAGGED_NOTE };
