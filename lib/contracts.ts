/**
 * The msgs that travel along the natural wiring hls-watch → r2-upload → manifest → signaling → payout.
 * Each node documents these in its help text; this file is the single typed source for them.
 *
 * Topics: 'segment' (a finished media segment), 'gap' (a segment that exists in the encoder's
 * playlist but could not be delivered), 'lifecycle' (stream started / restarted / ended),
 * 'playlist' (a new playlist version rendered by manifest).
 */

/** Rendition attributes taken from the encoder's master playlist, when it has one. */
export interface VariantInfo {
  bandwidth?: number;
  averageBandwidth?: number;
  codecs?: string;
  resolution?: { width: number; height: number };
  frameRate?: number;
}

/** An fMP4 media initialization section (EXT-X-MAP). */
export interface InitSection {
  /** URI as written in the encoder's playlist. */
  uri: string;
  /** Absolute source path it was read from. */
  path: string;
  bytes: Buffer;
  byteLength: number;
  sha256: string;
  contentType: string;
  /** Set by r2-upload once stored. */
  key?: string;
  url?: string;
}

export interface SegmentInfo {
  /** Stream id configured on hls-watch. */
  stream: string;
  /** Rendition id: the variant folder/playlist name ("0", "720p", …); "main" for a single-variant stream. */
  rendition: string;
  /**
   * Streaming session id: new for every encoder start or restart, so object keys derived from it
   * are never reused (players and CDNs may cache an object forever).
   */
  session: string;
  /** The encoder's own media sequence number (restarts from 0 with the encoder). */
  encoderSequence: number;
  /** Relaycast's sequence for this stream and rendition: strictly increasing, across restarts. */
  sequence: number;
  /** Seconds, from the encoder playlist's EXTINF (never guessed). */
  duration: number;
  /**
   * Whole seconds: the EXT-X-TARGETDURATION of the encoder playlist that listed this segment, the
   * encoder's own bound on its segment lengths (manifest fixes its target from it). Optional, so
   * msgs built by other flows stay valid.
   */
  targetDuration?: number;
  byteLength: number;
  /** Lower-case hex SHA-256 of the segment bytes. */
  sha256: string;
  /** URI as written in the encoder's playlist. */
  uri: string;
  /** Absolute path the bytes were read from. */
  path: string;
  contentType: string;
  /** True on the first segment after an encoder restart, an EXT-X-DISCONTINUITY, or a gap. */
  discontinuity: boolean;
  /**
   * Sent again after a restart or redeploy because no consumer confirmed it (lib/delivery-receipts.ts):
   * a consumer that already has it ignores it quietly.
   */
  redelivered?: boolean;
  /** ISO 8601 with milliseconds, from EXT-X-PROGRAM-DATE-TIME when the encoder writes it. */
  programDateTime?: string;
  variant?: VariantInfo;
  /**
   * Every rendition of this stream hls-watch follows when it sent this segment (the encoder's
   * layout, after hls-watch's filter), when there are several. Manifest holds its first master
   * until each has a segment (at most 2 target durations): a player loads the master once, so one
   * served before the other renditions' first segments would hide them for the whole session.
   */
  renditions?: string[];
  /** Set by r2-upload once the object is durably stored. */
  key?: string;
  url?: string;
}

/** msg.topic === 'segment': msg.payload is the segment bytes (Buffer). */
export interface SegmentMsg {
  topic: 'segment';
  payload: Buffer;
  segment: SegmentInfo;
  /** Present for fMP4 segments. */
  init?: InitSection;
  _msgid?: string;
}

export type GapReason = 'segment-lost' | 'upload-failed';

/**
 * msg.topic === 'gap': a segment the encoder listed that cannot be delivered. Downstream marks it
 * (manifest: EXT-X-GAP or a discontinuity) instead of silently skipping it.
 */
export interface GapMsg {
  topic: 'gap';
  payload: { reason: GapReason; code: string; message: string };
  segment: Omit<SegmentInfo, 'byteLength' | 'sha256'> & { byteLength?: number; sha256?: string };
}

export type LifecycleEvent = 'started' | 'restarted' | 'ended';

/** msg.topic === 'lifecycle'. */
export interface LifecycleMsg {
  topic: 'lifecycle';
  payload: {
    event: LifecycleEvent;
    stream: string;
    rendition: string;
    session: string;
    /** Relaycast sequence of the next segment expected (started/restarted) or of the last one (ended). */
    sequence: number;
    variant?: VariantInfo;
  };
}

/** msg.topic === 'playlist': a new playlist version rendered by manifest. */
export interface PlaylistMsg {
  topic: 'playlist';
  payload: string;
  /** Object key (relative to the bucket's prefix) a flow may publish it under through r2-upload. */
  key: string;
  contentType: 'application/vnd.apple.mpegurl';
  cacheControl: string;
  playlist: {
    stream: string;
    /** Rendition id, or null for the master playlist. */
    rendition: string | null;
    mediaSequence?: number;
    discontinuitySequence?: number;
    ended: boolean;
    /** Set from 1 on: a new playlist after an earlier one of this rendition ended (served at ?presentation=N). */
    presentation?: number;
  };
  /** The segment whose arrival produced this version (absent for master-only changes). */
  segment?: SegmentInfo;
}

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.m4v': 'video/mp4',
  '.aac': 'audio/aac',
  '.mp3': 'audio/mpeg',
  '.vtt': 'text/vtt',
  '.m3u8': 'application/vnd.apple.mpegurl',
};

/** Content-Type for a file name, by its extension; application/octet-stream when unknown. */
export function contentTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const ext = dot >= 0 ? fileName.slice(dot).toLowerCase() : '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/**
 * The one id rule for stream and rendition ids, which every node applies: they become path
 * segments of playlist URLs (manifest) and of object keys (r2-upload), so 1–64 URL-safe characters,
 * and never "." or "..", which a path would resolve away.
 */
export const ID_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

/** A folder or file name as an id that follows the rule (hls-watch names renditions after them). */
export function toId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._~-]/g, '_').slice(0, 64);
  return isId(cleaned) ? cleaned : '_';
}

/** Longest segment a msg may carry, in seconds. */
export const MAX_SEGMENT_SECONDS = 3600;

/**
 * The one duration rule for segments and gaps: seconds > 0 and at most MAX_SEGMENT_SECONDS. An
 * EXTINF:0 entry cannot be played or listed (it would make a player spin), so hls-watch refuses it
 * at the source instead of r2-upload storing what manifest then refuses.
 */
export function isSegmentDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_SEGMENT_SECONDS;
}

