/**
 * Who fetches a new segment over HTTP first. Naming the fetchers in the announcement is what lets a
 * swarm pull each segment from the origin about once: the named peers fetch at once, everyone else
 * waits for the bytes to spread peer to peer (and falls back to HTTP only at its own deadline).
 *
 * The first holder of a segment is the one everybody else asks, so the duty goes by upload
 * capacity, not by turns: on home uplinks a 1 Mb/s viewer named in rotation spent its uplink on
 * others and stalled, while a 20 Mb/s one sat idle. Supporters come first (they exist to take that
 * fetch). Then members that have not measured their upload yet, in rotation: being named is how
 * they get measured (the others then ask them, and they refuse what they cannot deliver in time),
 * and until it is measured nobody knows a newcomer is not the fastest. Then members by the spare
 * upload they last reported (stats `spareUpload`, passed between instances by a shared registry), most first, when it covers the stream's rate;
 * then those with too little. A member with no spare capacity (a peer with no open link reports 0:
 * what it fetched first would reach no one but over HTTP), or that uploads nothing, is named only
 * when nobody in the swarm can upload.
 */
import { BOUNDS } from '../protocol';
import type { PeerRecord } from './registry';

/** One fetcher per 32 members, at least one, at most four. */
export function fetcherCount(members: number): number {
  return Math.min(BOUNDS.maxFetchers, 1 + Math.floor(members / BOUNDS.membersPerFetcher));
}

export class FetcherChoice {
  /** swarmKey → position of the next unmeasured member to take the duty. Freed with the swarm. */
  private readonly cursor = new Map<string, number>();

  /** `streamBytesPerSecond`: the segment's size over its duration (what a first holder must pass on). */
  choose(swarmKey: string, supporters: readonly PeerRecord[], members: readonly PeerRecord[], streamBytesPerSecond = 0): string[] {
    const want = fetcherCount(members.length);
    const chosen: string[] = [];
    for (const supporter of [...supporters].sort(bySpare)) {
      if (chosen.length >= want) return chosen;
      // A supporter is there to serve: named even when busy (its report may lag its uplink).
      if (supporter.uploads !== false) chosen.push(supporter.id);
    }
    if (members.length === 0) return chosen;
    const viewers = members.filter((m) => m.role !== 'supporter' && m.uploads !== false && m.spareUpload !== 0);
    const ample = viewers.filter((m) => m.spareUpload !== undefined && m.spareUpload >= streamBytesPerSecond).sort(bySpare);
    const short = viewers.filter((m) => m.spareUpload !== undefined && m.spareUpload < streamBytesPerSecond).sort(bySpare);
    let position = this.cursor.get(swarmKey) ?? 0;
    // Unmeasured members take turns: at most one lap over the members.
    for (let looked = 0; looked < members.length && chosen.length < want; looked++) {
      const member = members[position % members.length];
      position = (position + 1) % members.length;
      if (member.role !== 'supporter' && member.uploads !== false && member.spareUpload === undefined) chosen.push(member.id);
    }
    for (const member of [...ample, ...short]) if (chosen.length < want) chosen.push(member.id);
    // Nobody can upload: still at least one, in rotation. Its bytes help nobody else, but without the
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

/** Most spare upload first; unmeasured ones after every measured one. */
function bySpare(a: PeerRecord, b: PeerRecord): number {
  return (b.spareUpload ?? -1) - (a.spareUpload ?? -1);
}
