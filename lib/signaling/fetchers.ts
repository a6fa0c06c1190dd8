/**
 * Who fetches a new segment over HTTP first. Naming the fetchers in the announcement is what lets a
 * swarm pull each segment from the origin about once: the named peers fetch at once, everyone else
 * waits for the bytes to spread peer to peer (and falls back to HTTP only at its own deadline).
 * Supporters come first (they exist to take that fetch); otherwise the duty rotates through the
 * members that upload, so no viewer pays it more than its share.
 */
import { BOUNDS } from '../protocol';
import type { PeerRecord } from './registry';

/** One fetcher per 32 members, at least one, at most four. */
export function fetcherCount(members: number): number {
  return Math.min(BOUNDS.maxFetchers, 1 + Math.floor(members / BOUNDS.membersPerFetcher));
}

export class FetcherRotation {
  /** swarmKey → position of the next member to take the duty. Freed with the swarm. */
  private readonly cursor = new Map<string, number>();

  choose(swarmKey: string, supporters: readonly PeerRecord[], members: readonly PeerRecord[]): string[] {
    const want = fetcherCount(members.length);
    const chosen: string[] = [];
    for (const supporter of supporters) {
      if (chosen.length >= want) return chosen;
      if (supporter.uploads !== false) chosen.push(supporter.id);
    }
    if (members.length === 0) return chosen;
    let position = this.cursor.get(swarmKey) ?? 0;
    // At most one lap over the members that upload.
    for (let looked = 0; looked < members.length && chosen.length < want; looked++) {
      const member = members[position % members.length];
      position = (position + 1) % members.length;
      if (member.uploads !== false && member.role !== 'supporter') chosen.push(member.id);
    }
    // Nobody uploads: still at least one, in rotation. Its bytes help nobody else, but without the
    // name every member waits for peers that will never send and fetches only at its playback deadline.
    if (chosen.length === 0) {
      chosen.push(members[position % members.length].id);
      position = (position + 1) % members.length;
    }
    this.cursor.set(swarmKey, position);
    return chosen;
  }

  forget(swarmKey: string): void {
    this.cursor.delete(swarmKey);
  }

  trackedSwarms(): number {
    return this.cursor.size;
  }
}
