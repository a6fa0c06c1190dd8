/**
 * What each linked peer last said it holds (its HAVE), and of which rendition. One swarm spans a
 * stream's renditions, and sequence numbers mean nothing across them: a peer on another rendition
 * holding "segment 7" holds another segment 7. So a holder counts only for the rendition it named,
 * and the rendition a peer named is also the one its requests on that channel are for.
 */
import type { PeerLink } from './peer-link';

interface Holding {
  /** undefined until the peer's first HAVE. */
  rendition?: string;
  sequences: ReadonlySet<number>;
}

const NOTHING: Holding = { sequences: new Set() };

export class RemoteHoldings {
  private readonly byLink = new Map<PeerLink, Holding>();

  /** The link opened: nothing known of it yet. */
  add(link: PeerLink): void {
    this.byLink.set(link, NOTHING);
  }

  /** Its HAVE arrived. */
  set(link: PeerLink, rendition: string, sequences: readonly number[]): void {
    if (this.byLink.has(link)) this.byLink.set(link, { rendition, sequences: new Set(sequences) });
  }

  /** Whether the peer said it holds `sequence` of `rendition`. */
  holds(link: PeerLink, rendition: string, sequence: number): boolean {
    const holding = this.byLink.get(link);
    return holding !== undefined && holding.rendition === rendition && holding.sequences.has(sequence);
  }

  /** The rendition the peer plays, as its last HAVE said: what its requests are for. */
  renditionOf(link: PeerLink): string | undefined {
    return this.byLink.get(link)?.rendition;
  }

  links(): IterableIterator<PeerLink> {
    return this.byLink.keys();
  }

  forget(link: PeerLink): void {
    this.byLink.delete(link);
  }

  clear(): void {
    this.byLink.clear();
  }
}
