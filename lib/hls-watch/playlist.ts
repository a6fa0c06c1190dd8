/**
 * Reading an encoder's playlists: a bounded file read, then hls-parser for the structure, then our
 * own checks for what hls-parser forgives in its lenient mode (a torn write, a garbage file).
 * The watcher trusts nothing else about "finished": a segment is finished when this says it is listed.
 */
import { open } from 'node:fs/promises';
import * as HLS from 'hls-parser';
import type { VariantInfo } from '../protocol/msgs';
import { RelaycastError } from '../errors';

/** A media playlist is a few KB; anything this big is not an encoder's playlist. */
export const DEFAULT_MAX_PLAYLIST_BYTES = 1024 * 1024;

export interface MediaEntry {
  /** The encoder's media sequence number of this segment. */
  sequence: number;
  uri: string;
  /** Seconds, the EXTINF value as written. */
  duration: number;
  /** EXT-X-DISCONTINUITY before this segment. */
  discontinuity: boolean;
  /** ISO 8601 with milliseconds, when the encoder writes EXT-X-PROGRAM-DATE-TIME. */
  programDateTime?: string;
  /** EXT-X-MAP URI in force for this segment (fMP4). */
  initUri?: string;
  /** Its LL-HLS parts (EXT-X-PART before its URI), when the encoder lists them. */
  parts?: MediaPart[];
}

/** One EXT-X-PART of an encoder's LL-HLS playlist. */
export interface MediaPart {
  uri: string;
  duration: number;
  independent: boolean;
}

/** The parts after the last whole segment: of the segment the encoder is still writing. */
export interface OpenSegment {
  sequence: number;
  parts: MediaPart[];
  programDateTime?: string;
}

export interface MediaPlaylistInfo {
  kind: 'media';
  mediaSequence: number;
  targetDuration: number;
  entries: MediaEntry[];
  ended: boolean;
  /** EXT-X-PART-INF PART-TARGET, seconds, when the encoder writes LL-HLS parts. */
  partTarget?: number;
  open?: OpenSegment;
}

export interface MasterVariant {
  uri: string;
  variant: VariantInfo;
}

export interface MasterPlaylistInfo {
  kind: 'master';
  variants: MasterVariant[];
}

export type PlaylistInfo = MediaPlaylistInfo | MasterPlaylistInfo;

/**
 * Reads a playlist file, refusing more than `maxBytes` (a junk file the size of a disk must not be
 * pulled into memory). Throws ENOENT errors through unchanged, so callers can tell "not there yet".
 */
export async function readPlaylistText(filePath: string, maxBytes = DEFAULT_MAX_PLAYLIST_BYTES): Promise<string> {
  const handle = await open(filePath, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new RelaycastError('E_PLAYLIST_MALFORMED', `${filePath} is not a regular file`);
    if (stats.size > maxBytes) {
      throw new RelaycastError('E_PLAYLIST_TOO_LARGE', `${filePath} is ${stats.size} bytes, more than the ${maxBytes} a playlist may have`);
    }
    // Read at most maxBytes + 1 so a file that grows while we read is still caught.
    const buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(stats.size, 0) + 64 * 1024));
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > maxBytes) {
      throw new RelaycastError('E_PLAYLIST_TOO_LARGE', `${filePath} grew past the ${maxBytes} bytes a playlist may have`);
    }
    return buffer.toString('utf8', 0, filled);
  } finally {
    await handle.close();
  }
}

function malformed(why: string): RelaycastError {
  return new RelaycastError('E_PLAYLIST_MALFORMED', `malformed playlist: ${why}`);
}

const EXTINF_LINE = /^#EXTINF:\s*([0-9]+(?:\.[0-9]+)?)\s*(?:,.*)?$/;

/**
 * Checks the lines hls-parser's lenient mode would silently turn into zero durations or empty URIs:
 * the EXTM3U header, numeric EXTINF values, and a URI after every EXTINF.
 */
function checkLines(text: string): void {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  if (lines[0].trim() !== '#EXTM3U') throw malformed('the first line is not #EXTM3U');
  let awaitingUri = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXTINF')) {
      if (!EXTINF_LINE.test(line)) throw malformed(`bad duration in "${line.slice(0, 60)}"`);
      if (awaitingUri) throw malformed('two EXTINF tags without a segment URI between them');
      awaitingUri = true;
    } else if (!line.startsWith('#')) {
      awaitingUri = false;
    } else if (line.startsWith('#EXT-X-STREAM-INF')) {
      awaitingUri = false;
    }
  }
  if (awaitingUri) throw malformed('the last EXTINF has no segment URI (torn write?)');
}

/**
 * hls-parser keeps its options in module state shared with every other user in the process, so
 * they are set only for the duration of one synchronous parse and restored right after.
 */
function parseQuietly(text: string): HLS.types.Playlist {
  const previous = HLS.getOptions();
  HLS.setOptions({ ...previous, strictMode: false, silent: true });
  try {
    return HLS.parse(text);
  } finally {
    HLS.setOptions(previous);
  }
}

function toVariantInfo(v: HLS.types.Variant): VariantInfo {
  const info: VariantInfo = {};
  if (Number.isFinite(v.bandwidth)) info.bandwidth = v.bandwidth;
  if (v.averageBandwidth !== undefined && Number.isFinite(v.averageBandwidth)) info.averageBandwidth = v.averageBandwidth;
  if (v.codecs) info.codecs = v.codecs;
  if (v.resolution) info.resolution = { width: v.resolution.width, height: v.resolution.height };
  if (v.frameRate !== undefined && Number.isFinite(v.frameRate)) info.frameRate = v.frameRate;
  return info;
}

/** Parses playlist text; throws E_PLAYLIST_MALFORMED for anything that is not a usable playlist. */
export function parsePlaylist(text: string): PlaylistInfo {
  checkLines(text);
  let parsed: HLS.types.Playlist;
  try {
    parsed = parseQuietly(text);
  } catch (err) {
    throw new RelaycastError('E_PLAYLIST_MALFORMED', `malformed playlist: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.isMasterPlaylist) {
    const master = parsed as HLS.types.MasterPlaylist;
    const variants = master.variants
      .filter((v) => !v.isIFrameOnly && typeof v.uri === 'string' && v.uri !== '')
      .map((v) => ({ uri: v.uri, variant: toVariantInfo(v) }));
    return { kind: 'master', variants };
  }
  const media = parsed as HLS.types.MediaPlaylist;
  if (!/^#EXT-X-TARGETDURATION:/m.test(text)) throw malformed('no #EXT-X-TARGETDURATION');
  const mediaSequence = media.mediaSequenceBase ?? 0;
  const partTarget = media.partTargetDuration !== undefined && Number.isFinite(media.partTargetDuration) ? media.partTargetDuration : undefined;
  // hls-parser puts the parts after the last URI in a segment of their own, without a URI.
  const trailing = media.segments.at(-1);
  const open = partTarget !== undefined && trailing && !trailing.uri ? media.segments.pop() : undefined;
  const entries: MediaEntry[] = media.segments.map((s, index) => {
    if (!s.uri) throw malformed(`segment ${index} has no URI`);
    if (!Number.isFinite(s.duration) || s.duration < 0) throw malformed(`segment ${s.uri} has no valid EXTINF duration`);
    const entry: MediaEntry = {
      sequence: mediaSequence + index,
      uri: s.uri,
      duration: s.duration,
      discontinuity: s.discontinuity === true,
    };
    if (s.programDateTime instanceof Date && !Number.isNaN(s.programDateTime.getTime())) entry.programDateTime = s.programDateTime.toISOString();
    if (s.map?.uri) entry.initUri = s.map.uri;
    if (partTarget !== undefined && s.parts.length > 0) entry.parts = listedParts(s.parts);
    return entry;
  });
  const info: MediaPlaylistInfo = { kind: 'media', mediaSequence, targetDuration: media.targetDuration, entries, ended: media.endlist === true };
  if (partTarget !== undefined) info.partTarget = partTarget;
  if (open) {
    info.open = { sequence: mediaSequence + entries.length, parts: listedParts(open.parts) };
    if (open.programDateTime instanceof Date && !Number.isNaN(open.programDateTime.getTime())) info.open.programDateTime = open.programDateTime.toISOString();
  }
  return info;
}

/**
 * The parts an encoder wrote (a preload hint names one it has not written yet). Parts that are byte
 * ranges of one file are not followed (none of that segment's): a part is read as a whole file.
 */
function listedParts(parts: readonly HLS.types.PartialSegment[]): MediaPart[] {
  if (parts.some((p) => !p.hint && p.byterange !== undefined)) return [];
  const written: MediaPart[] = [];
  for (const p of parts) {
    if (p.hint || !p.uri || p.duration === undefined || !Number.isFinite(p.duration) || p.duration <= 0) continue;
    written.push({ uri: p.uri, duration: p.duration, independent: p.independent === true });
  }
  return written;
}
