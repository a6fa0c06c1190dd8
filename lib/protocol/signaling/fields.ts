/**
 * Field schemas the client and server messages share: ids, sequences, byte counts and the two things
 * both directions carry, an announced segment and a pushed playlist. Valibot: one declaration gives
 * the static type and the runtime check, with no eval (works under the viewer page's strict CSP).
 */
import * as v from 'valibot';
import { isId as isContractId } from '../msgs/ids';
import { BOUNDS, ROLES } from './constants';
import { isPublicUrl, isSegmentDuration, isSha256Hex, MAX_SEGMENT_SECONDS, MAX_URL_CHARS } from '../segment-rules';

/**
 * Stream and rendition ids: the one id rule every node applies (lib/protocol/msgs/ids.ts), so a rendition
 * hls-watch and manifest accept is one a viewer can join.
 */
export const isMediaId = isContractId;

export const MediaId = v.custom<string>(isMediaId, 'an id of 1–64 characters from [A-Za-z0-9._~-] (not . or ..)');
export const PeerId = v.pipe(v.string(), v.regex(BOUNDS.peerId, 'a peer id (12 base64url characters)'));
export const OfferId = v.pipe(v.string(), v.regex(BOUNDS.offerId, 'a string of 1–64 characters from [A-Za-z0-9_-]'));
export const Sequence = v.pipe(v.number(), v.safeInteger('a non-negative integer'), v.minValue(0, 'a non-negative integer'));
export const PositiveBytes = v.pipe(v.number(), v.safeInteger('a positive integer'), v.minValue(1, 'a positive integer'));
export const RoleField = v.picklist(ROLES, "'viewer' or 'supporter'");

/* @__NO_SIDE_EFFECTS__ */
export function boundedString(minChars: number, maxChars: number) {
  return v.pipe(
    v.string(),
    v.minLength(minChars, `a string of ${minChars}–${maxChars} characters`),
    v.maxLength(maxChars, `a string of ${minChars}–${maxChars} characters`),
  );
}

/* @__NO_SIDE_EFFECTS__ */
export function boundedInteger(min: number, max: number) {
  const message = `an integer from ${min} to ${max}`;
  return v.pipe(v.number(), v.safeInteger(message), v.minValue(min, message), v.maxValue(max, message));
}

/**
 * Spare upload capacity, bytes/s: what a viewer's stats report claims and what instances sharing
 * swarms through Redis pass on for it (read back from Redis like any network input).
 */
export const SpareUpload = boundedInteger(0, BOUNDS.maxSpareUploadBytesPerSecond);

export function isSpareUpload(value: unknown): value is number {
  return v.is(SpareUpload, value);
}

/* @__NO_SIDE_EFFECTS__ */
export function boundedList<T extends v.GenericSchema>(item: T, what: string) {
  return v.pipe(v.array(item), v.maxLength(BOUNDS.maxListItems, `an array of at most ${BOUNDS.maxListItems} ${what}`));
}

/* @__NO_SIDE_EFFECTS__ */
function optionalNullableString(maxChars: number) {
  return v.nullish(v.pipe(v.string(), v.maxLength(maxChars, `a string of at most ${maxChars} characters or null`)));
}

/** A trickle ICE candidate (RTCIceCandidateInit's fields), as a client sends it and the server relays it. */
export const IceCandidateSchema = v.strictObject({
  candidate: v.pipe(v.string(), v.maxLength(BOUNDS.candidateMaxChars, `a string of at most ${BOUNDS.candidateMaxChars} characters`)),
  sdpMid: optionalNullableString(BOUNDS.sdpMidMaxChars),
  sdpMLineIndex: v.nullish(boundedInteger(0, BOUNDS.maxSdpMLineIndex)),
  usernameFragment: optionalNullableString(BOUNDS.ufragMaxChars),
});
export type IceCandidateInit = v.InferOutput<typeof IceCandidateSchema>;

/**
 * A segment as the server announces it to its swarm (`segment` frames and welcome's `segments`):
 * `size` in bytes, `sha256` lower-case hex of the bytes (a client verifies peer-delivered bytes
 * against it), `duration` in seconds.
 */
export const AnnouncedSegmentSchema = v.object({
  sequence: Sequence,
  rendition: MediaId,
  // The field rules of a stored segment, shared with the segment msg (lib/protocol/segment-rules.ts).
  url: v.pipe(
    v.string(),
    v.check((url: string) => isPublicUrl(url), `an http(s) URL of at most ${MAX_URL_CHARS} characters without spaces or quotes`),
  ),
  size: PositiveBytes,
  sha256: v.pipe(
    v.string(),
    v.check((hex: string) => isSha256Hex(hex), '64 lower-case hex digits'),
  ),
  duration: v.pipe(
    v.number(),
    v.check((seconds: number) => isSegmentDuration(seconds), `a positive number of seconds, at most ${MAX_SEGMENT_SECONDS}`),
  ),
});
export type AnnouncedSegment = v.InferOutput<typeof AnnouncedSegmentSchema>;

/**
 * An announcement as the server keeps it: the announced segment, its stream, and hls-watch's session
 * id (new at every encoder start: a lower sequence in a new session is a restart). Neither is sent.
 */
export type SegmentAnnouncement = AnnouncedSegment & { stream: string; session?: string };

/** A UTF-8 length without allocating (the bound is in bytes: a multi-byte playlist must not slip past it). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A playlist version as relaycast-manifest rendered it, byte for byte (`playlist` frames, welcome's
 * `playlists`, the viewer page's inlined copies). rendition null = the master playlist.
 * `presentation`: media playlists after an earlier one ended are served at `?presentation=N`
 * (a copy of one must never answer a player asking for another); absent = 0.
 * `ageMs`: how long the server had held this version when it sent it (a welcome or page copy may be
 * up to a segment old); absent = 0 (a push, sent as the version arrives). A player takes a copy's
 * age as its own, or it would start one copy-age further behind live (hls.js dates a playlist by
 * when its load finished).
 * `version`: the server's number for this version (v4), which a later `playlist-delta` names as the
 * version it edits. A server sends it with every copy; it is optional so that a page's seeded copies
 * from elsewhere still parse (a delta never applies to a copy without one).
 */
/** A playlist version's number on the server that pushed it (`playlist` and `playlist-delta` frames). */
export const PlaylistVersionNumber = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

export const PushedPlaylistSchema = v.object({
  rendition: v.nullable(MediaId),
  text: v.pipe(
    v.string(),
    v.check((text) => utf8Bytes(text) <= BOUNDS.maxPushedPlaylistBytes, `at most ${BOUNDS.maxPushedPlaylistBytes} UTF-8 bytes`),
  ),
  ended: v.boolean(),
  presentation: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  ageMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(BOUNDS.maxPlaylistAgeMs))),
  version: v.optional(PlaylistVersionNumber),
});
export type PushedPlaylist = v.InferOutput<typeof PushedPlaylistSchema>;

export function isPushedPlaylist(value: unknown): value is PushedPlaylist {
  return v.is(PushedPlaylistSchema, value);
}

/** An announced segment checked against its schema: the segment, or the first field that is wrong. */
export function checkAnnouncedSegment(value: unknown): { ok: true; segment: AnnouncedSegment } | { ok: false; path: string; expected: string } {
  const result = v.safeParse(AnnouncedSegmentSchema, value, { abortEarly: true });
  return result.success ? { ok: true, segment: result.output } : { ok: false, ...wireIssue(result.issues[0]) };
}

/** A playlist handed to a viewer with its page (the loader's `initialPlaylists`): `ended` may be left out (false). */
export type SeededPlaylist = Flat<Omit<PushedPlaylist, 'ended'> & { ended?: boolean }>;
/** One object type instead of an intersection (what the published declarations state). */
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * A refusal in the protocol's words: the field's path (`candidate.sdpMid`, `have[3]`) and what it must
 * be. Schema issues (a wrong type) name the expected type; validation issues carry the bound's message.
 */
export function wireIssue(issue: v.BaseIssue<unknown>): { path: string; expected: string } {
  const path =
    issue.path
      ?.map((item) => (typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`))
      .join('')
      .slice(1) || 'frame';
  const expected =
    issue.type === 'strict_object'
      ? 'absent (unknown field)'
      : issue.kind === 'validation' || issue.type === 'custom' || !issue.expected
        ? issue.message
        : issue.expected;
  return { path, expected };
}
