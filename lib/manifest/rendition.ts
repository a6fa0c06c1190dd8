/**
 * One rendition's live window: the entries it lists, its own media and discontinuity sequences, and
 * the ordering rules that keep a segment from appearing twice or out of order. Plain data so a
 * snapshot is just JSON.
 */
import { RelaycastError } from '../errors';
import type { VariantInfo } from '../protocol/msgs';
import { AppendedEntries } from './appended-entries';

export interface PlaylistEntry {
  /** Relaycast's media sequence number of this entry in this playlist. */
  msn: number;
  /** Absolute public URL. */
  url: string;
  /** Seconds (EXTINF). */
  duration: number;
  discontinuity: boolean;
  /** Listed with EXT-X-GAP: the player must not fetch it. */
  gap: boolean;
  /** ISO 8601 with milliseconds, always set (computed when the encoder wrote none). */
  programDateTime: string;
  /** Absolute URL of the EXT-X-MAP for fMP4. */
  initUrl?: string;
  /** Undefined for gaps; used for the measured bandwidth. */
  byteLength?: number;
  session: string;
  sourceSequence: number;
  /** Object key of the stored segment (r2-upload sets it), reported to PlaylistListings. */
  key?: string;
  /** Its LL-HLS parts, when every one of them was listed before it (lib/manifest/parts.ts). */
  parts?: ListedPart[];
}

/** One EXT-X-PART. */
export interface ListedPart {
  url: string;
  duration: number;
  independent: boolean;
  key?: string;
}

/** The parts of the segment the encoder is still writing, listed after the last entry. */
export interface OpenSegment {
  /** The source sequence its segment msg will carry. */
  sourceSequence: number;
  parts: ListedPart[];
  /** A part was lost or refused: none of this segment's parts is listed any more. */
  broken?: boolean;
}

export interface RenditionState {
  stream: string;
  rendition: string;
  entries: PlaylistEntry[];
  /** MSN the next entry gets. Never goes back, so EXT-X-MEDIA-SEQUENCE only rises. */
  nextMsn: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE: raised for each DISCONTINUITY-tagged entry leaving the window. */
  discontinuitySequence: number;
  ended: boolean;
  /** Highest EXT-X-VERSION this playlist has declared: it never goes down between versions. */
  version: number;
  /** The next entry must carry EXT-X-DISCONTINUITY (restart, refused segment, omitted gap). */
  pendingDiscontinuity: boolean;
  currentSession?: string;
  /** Encoder-side sequence of the last accepted entry in currentSession. */
  lastSourceSequence?: number;
  /** Sessions seen before the current one (bounded), so a late segment of an old session is refused. */
  pastSessions: string[];
  variant?: VariantInfo;
  /** Wall clock (ms) when the last entry was added. */
  lastEntryAt?: number;
  /** Order in which renditions appeared, for a stable master playlist. */
  order: number;
  /**
   * Which presentation of this rendition the entries belong to. A presentation ends with ENDLIST
   * and is never changed afterwards; a later session starts the next one, served at its own URL.
   */
  presentation: number;
  /** Wall clock (ms) when the encoder's ENDLIST arrived, while it is held for the grace period. */
  endRequestedAt?: number;
  /** The session the encoder ended (its later segments are refused); unset for an idle end. */
  endedSession?: string;
  /** The last finished presentation, exactly as it was served, so its URL keeps serving it. */
  finished?: FinishedPresentation;
  /** LL-HLS: the parts of the segment in progress (lib/manifest/parts.ts). */
  open?: OpenSegment;
}

export interface FinishedPresentation {
  presentation: number;
  text: string;
  mediaSequence: number;
  discontinuitySequence: number;
  lastMsn: number;
  /** Object keys it lists (they stay listed while it is served), and how long it lasts. */
  keys?: string[];
  durationSec?: number;
}

const PAST_SESSIONS_KEPT = 32;

export function newRendition(stream: string, rendition: string, order: number): RenditionState {
  return {
    stream,
    rendition,
    entries: [],
    nextMsn: 0,
    discontinuitySequence: 0,
    ended: false,
    version: 3,
    pendingDiscontinuity: false,
    pastSessions: [],
    order,
    presentation: 0,
  };
}

/** Whether anything was ever listed (so a new session is a discontinuity, not a start). */
export function hasHistory(r: RenditionState): boolean {
  return r.nextMsn > 0;
}

/**
 * Moves the rendition to `session` when it differs from the current one; returns true when it did.
 * A session seen before (not the current one) is refused: its segments belong to an older timeline.
 */
export function enterSession(r: RenditionState, session: string): boolean {
  if (r.currentSession === session) return false;
  if (r.pastSessions.includes(session)) {
    throw new RelaycastError(
      'E_MANIFEST_STALE_SESSION',
      `${r.stream}/${r.rendition}: session ${session} already ended (now ${r.currentSession}); a late segment of an old session is not listed`,
    );
  }
  if (r.currentSession !== undefined) {
    r.pastSessions.push(r.currentSession);
    if (r.pastSessions.length > PAST_SESSIONS_KEPT) r.pastSessions.shift();
  }
  r.currentSession = session;
  r.lastSourceSequence = undefined;
  if (hasHistory(r)) r.pendingDiscontinuity = true;
  return true;
}

/**
 * Refuses a duplicate or out-of-order item of the current session; returns true when items were
 * skipped (a hole in the encoder's numbering, which breaks the timestamp sequence).
 */
export function checkOrder(r: RenditionState, sourceSequence: number, url: string | undefined, listed: ListedUrls = new ListedUrls()): boolean {
  const last = r.lastSourceSequence;
  if (last !== undefined && sourceSequence === last) {
    throw new RelaycastError('E_MANIFEST_DUPLICATE', `${r.stream}/${r.rendition}: sequence ${sourceSequence} of session ${r.currentSession} is already listed`);
  }
  if (last !== undefined && sourceSequence < last) {
    throw new RelaycastError('E_MANIFEST_OUT_OF_ORDER', `${r.stream}/${r.rendition}: sequence ${sourceSequence} arrived after ${last}; playlists only append`);
  }
  if (url !== undefined && listed.has(r.entries, url)) {
    throw new RelaycastError('E_MANIFEST_DUPLICATE', `${r.stream}/${r.rendition}: ${url} is already listed`);
  }
  return last !== undefined && sourceSequence > last + 1;
}

/**
 * The URLs of a rendition's listed (not gap) entries, for the duplicate check: kept up to date with
 * the entries appended since the last call, so a DVR history is not searched for each segment.
 */
export class ListedUrls {
  private readonly appended = new AppendedEntries();
  private readonly urls = new Set<string>();

  has(entries: readonly PlaylistEntry[], url: string): boolean {
    const appended = this.appended.since(entries);
    if (appended === undefined) this.urls.clear();
    for (const e of appended ?? entries) if (!e.gap) this.urls.add(e.url);
    return this.urls.has(url);
  }
}

export function appendEntry(r: RenditionState, entry: Omit<PlaylistEntry, 'msn'>, now: number): PlaylistEntry {
  const listed: PlaylistEntry = { ...entry, msn: r.nextMsn };
  r.entries.push(listed);
  r.nextMsn += 1;
  r.pendingDiscontinuity = false;
  r.lastSourceSequence = entry.sourceSequence;
  r.lastEntryAt = now;
  return listed;
}

export function windowDuration(entries: readonly PlaylistEntry[]): number {
  return entries.reduce((sum, e) => sum + e.duration, 0);
}

/**
 * Drops entries from the front while the rest still holds `minSegments` and lasts at least
 * 3 × target duration (RFC 8216 §6.2.2). Each dropped DISCONTINUITY raises the discontinuity
 * sequence so every remaining segment keeps its discontinuity number.
 */
export function slideWindow(r: RenditionState, minSegments: number, targetDuration: number): PlaylistEntry[] {
  let total = windowDuration(r.entries);
  const removed: PlaylistEntry[] = [];
  while (r.entries.length > minSegments && total - r.entries[0].duration >= 3 * targetDuration) {
    const dropped = r.entries.shift()!;
    total -= dropped.duration;
    if (dropped.discontinuity) r.discontinuitySequence += 1;
    removed.push(dropped);
  }
  return removed;
}

/** The entry after which the next one would be appended (for PDT and MAP continuity). */
export function lastEntry(r: RenditionState): PlaylistEntry | undefined {
  return r.entries[r.entries.length - 1];
}
