/**
 * Segment announcements: built from the node's input msgs (manifest's `playlist` msgs that carry the
 * segment which produced them, or plain `segment` msgs once r2-upload has set the public URL) and
 * kept per swarm in a bounded window, which is both what a joining peer is sent and what receipts
 * are checked against.
 */
import * as v from 'valibot';
import { RelaycastError } from '../errors';
import { checkAnnouncedSegment, type SegmentAnnouncement } from '../protocol';
import { parseMsg, SegmentInfoSchema } from '../protocol/msgs';
import { renditionKeyOf } from './registry';

/**
 * What an announcement needs: a stored segment (its public URL is set by r2-upload). The session is
 * optional here, as in the announcement itself: a flow may announce segments it did not get from
 * hls-watch, and a session only tells an encoder restart from a replay.
 */
const SegmentInputSchema = v.object({
  ...v.required(v.pick(SegmentInfoSchema, ['stream', 'rendition', 'sequence', 'url', 'byteLength', 'sha256', 'duration']), ['url']).entries,
  session: v.optional(SegmentInfoSchema.entries.session),
});

/** The input msg's names for the announcement's fields, for error messages the operator can act on. */
const MSG_FIELD: Record<string, string> = { size: 'byteLength' };

/**
 * Turns an input msg into an announcement; null for msgs that carry no segment (master playlists).
 * The msg is parsed by the segment msg's schema (the contract between nodes); what is announced is
 * then checked by the protocol's schema of an announced segment (the wire contract), so the node
 * never tells a swarm something its clients would drop.
 */
export function announcementFromMsg(msg: { topic?: unknown; segment?: unknown }): SegmentAnnouncement | null {
  if (msg.segment === undefined || msg.segment === null) {
    if (msg.topic === 'playlist') return null;
    throw new RelaycastError(
      'E_SIGNAL_INPUT',
      'msg.segment is missing: expected a playlist msg from relaycast-manifest or a segment msg from relaycast-r2-upload',
    );
  }
  const segment = parseMsg(SegmentInputSchema, msg.segment, 'msg.segment', 'E_SIGNAL_INPUT');
  const checked = checkAnnouncedSegment({
    sequence: segment.sequence,
    rendition: segment.rendition,
    url: segment.url,
    size: segment.byteLength,
    sha256: segment.sha256,
    duration: segment.duration,
  });
  if (!checked.ok) throw new RelaycastError('E_SIGNAL_INPUT', `msg.segment.${MSG_FIELD[checked.path] ?? checked.path} must be ${checked.expected}`);
  return { stream: segment.stream, ...checked.segment, ...(segment.session !== undefined ? { session: segment.session } : {}) };
}

/** An announcement as stored: with its place in the order of every announcement this server made. */
export interface StoredAnnouncement extends SegmentAnnouncement {
  /** Counter value when it was announced (see `mark()`). */
  ordinal: number;
}

/** What add() did with an announcement. */
export type AddResult =
  /** a newer segment of the current session (or the first one) */
  | 'added'
  /** the first segment of a new hls-watch session, numbered on from the old one */
  | 'session-changed'
  /** the first segment of a new session that starts over at a lower sequence: the old window is dropped */
  | 'session-restarted'
  /** a replay, an older sequence, or a late segment of an earlier session */
  | 'ignored';

interface SwarmWindow {
  segments: StoredAnnouncement[];
  session?: string;
  /** Sessions this swarm left behind (bounded): a late segment of one is not announced. */
  earlier: string[];
}

const EARLIER_SESSIONS_KEPT = 8;

/** The last `capacity` announcements per swarm, in sequence order, for at most `maxSwarms` swarms. */
export class AnnouncementStore {
  private readonly windows = new Map<string, SwarmWindow>();
  /** Announcements made so far; a peer's join records it, so receipts can tell what came after. */
  private announced = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxSwarms: number,
  ) {}

  /**
   * Records an announcement. A replay of a playlist msg (not newer than the latest) is ignored, so
   * it is neither stored twice nor pushed twice. A new hls-watch session (a re-created node starts
   * again at sequence 0) is followed, as manifest does: its segments replace the old window.
   */
  add(segment: SegmentAnnouncement): AddResult {
    const key = renditionKeyOf(segment.stream, segment.rendition);
    let window = this.windows.get(key);
    if (!window) {
      if (this.windows.size >= this.maxSwarms) {
        // Forget the swarm announced longest ago: operator input, so this only happens when
        // streams come and go, never under client control.
        const oldest = this.windows.keys().next().value as string;
        this.windows.delete(oldest);
      }
      window = { segments: [], session: segment.session, earlier: [] };
      this.windows.set(key, window);
    } else {
      // Keep Map order = least recently announced first.
      this.windows.delete(key);
      this.windows.set(key, window);
    }
    let result: AddResult = 'added';
    if (segment.session !== undefined && window.session !== undefined && segment.session !== window.session) {
      if (window.earlier.includes(segment.session)) return 'ignored';
      window.earlier.push(window.session);
      if (window.earlier.length > EARLIER_SESSIONS_KEPT) window.earlier.shift();
      window.session = segment.session;
      const last = window.segments[window.segments.length - 1];
      if (last && segment.sequence <= last.sequence) {
        window.segments = [];
        result = 'session-restarted';
      } else {
        result = 'session-changed';
      }
    }
    window.session ??= segment.session;
    const last = window.segments[window.segments.length - 1];
    if (last && segment.sequence <= last.sequence) return 'ignored';
    window.segments.push({ ...segment, ordinal: ++this.announced });
    if (window.segments.length > this.capacity) window.segments.splice(0, window.segments.length - this.capacity);
    return result;
  }

  /** The announcement counter now: a segment with a greater ordinal was announced after this call. */
  mark(): number {
    return this.announced;
  }

  has(swarmKey: string): boolean {
    return this.windows.has(swarmKey);
  }

  find(swarmKey: string, sequence: number): StoredAnnouncement | undefined {
    const window = this.windows.get(swarmKey)?.segments;
    if (!window) return undefined;
    for (let i = window.length - 1; i >= 0; i--) if (window[i].sequence === sequence) return window[i];
    return undefined;
  }

  latest(swarmKey: string, count: number): SegmentAnnouncement[] {
    const window = this.windows.get(swarmKey)?.segments;
    return window ? window.slice(Math.max(0, window.length - count)) : [];
  }

  latestSequence(swarmKey: string): number {
    const window = this.windows.get(swarmKey)?.segments;
    return window && window.length > 0 ? window[window.length - 1].sequence : -1;
  }

  oldestSequence(swarmKey: string): number {
    const window = this.windows.get(swarmKey)?.segments;
    return window && window.length > 0 ? window[0].sequence : -1;
  }
}
