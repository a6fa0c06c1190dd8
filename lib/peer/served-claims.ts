/**
 * An uploader's `served` claims, one per segment and downloader however many pieces it was asked
 * for. A downloader asks for a segment piece by piece (segment-pieces.ts), often from several
 * holders, so a claim per request would multiply signaling messages (and meet the per-connection
 * rate limit) for nothing: signaling keeps only the latest claim per segment and downloader. So
 * bytes add up per (link, segment), and the running total is sent once no piece of it has been
 * served for SETTLE_MS; a later piece sends the new total, which replaces the old one.
 */
import type { PeerPlatform } from './platform';

/** Quiet time after a segment's last served piece before its claim goes out. */
export const SETTLE_MS = 250;
/** Segments remembered per downloader (their totals), oldest forgotten first. */
const SEGMENTS_PER_LINK = 16;

interface Claim {
  bytes: number;
  timer: unknown;
}

export class ServedClaims<L> {
  private readonly totals = new Map<L, Map<number, Claim>>();

  constructor(
    private readonly platform: Pick<PeerPlatform, 'setTimeout' | 'clearTimeout'>,
    private readonly send: (link: L, sequence: number, bytes: number) => void,
  ) {}

  /** `bytes` of segment `sequence` were delivered to `link`. */
  add(link: L, sequence: number, bytes: number): void {
    if (bytes <= 0) return;
    const claims = this.totals.get(link) ?? new Map<number, Claim>();
    this.totals.set(link, claims);
    const claim = claims.get(sequence) ?? { bytes: 0, timer: undefined };
    claims.delete(sequence);
    claims.set(sequence, claim);
    claim.bytes += bytes;
    this.platform.clearTimeout(claim.timer);
    claim.timer = this.platform.setTimeout(() => {
      claim.timer = undefined;
      this.send(link, sequence, claim.bytes);
    }, SETTLE_MS);
    if (claims.size > SEGMENTS_PER_LINK) {
      const [oldest, old] = claims.entries().next().value as [number, Claim];
      this.flush(link, oldest, old);
      claims.delete(oldest);
    }
  }

  /** The link is gone: what it was served is claimed now. */
  linkClosed(link: L): void {
    const claims = this.totals.get(link);
    if (!claims) return;
    for (const [sequence, claim] of claims) this.flush(link, sequence, claim);
    this.totals.delete(link);
  }

  /** The peer is leaving: what it served is claimed now, while its socket is still open. */
  close(): void {
    for (const [link, claims] of this.totals) for (const [sequence, claim] of claims) this.flush(link, sequence, claim);
    this.totals.clear();
  }

  private flush(link: L, sequence: number, claim: Claim): void {
    if (claim.timer === undefined) return;
    this.platform.clearTimeout(claim.timer);
    claim.timer = undefined;
    this.send(link, sequence, claim.bytes);
  }
}
