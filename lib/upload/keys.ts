/**
 * Object keys and public URLs. A segment's key is derived from its stream, streaming session,
 * rendition and Relaycast sequence, so it is unique and never reused: players and CDNs may cache a
 * segment forever (Cache-Control immutable), and R2 throttles repeated writes to one key.
 */
import { RelaycastError } from '../errors';

/** S3/R2 limit on key length, in bytes. */
export const MAX_KEY_BYTES = 1024;

/** 'live//a/' → 'live/a/'; '' → ''. The prefix ends with '/' whenever it is not empty. */
export function normalizeKeyPrefix(prefix: string | undefined): string {
  const parts = (prefix ?? '')
    .split('/')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  for (const part of parts) {
    if (part === '.' || part === '..') throw new RelaycastError('E_UPLOAD_CONFIG', `key prefix may not contain '${part}'`);
  }
  return parts.length > 0 ? `${parts.join('/')}/` : '';
}

/** One key path component made of URL-safe characters only (stream ids and renditions come from config and folder names). */
export function safeKeyComponent(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_');
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return '_';
  return cleaned;
}

/** Lower-case extension of a URI's last path component, query and fragment ignored ('' if none). */
export function extensionOf(uri: string): string {
  const pathPart = uri.split(/[?#]/)[0] ?? '';
  const base = pathPart.slice(pathPart.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return '';
  const ext = base.slice(dot).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
}

export interface SegmentKeyInput {
  stream: string;
  session: string;
  rendition: string;
  sequence: number;
  uri: string;
}

function renditionFolder(prefix: string, s: { stream: string; session: string; rendition: string }): string {
  return `${prefix}${safeKeyComponent(s.stream)}/${safeKeyComponent(s.session)}/${safeKeyComponent(s.rendition)}/`;
}

/** e.g. 'live/cam1/s-20261123T0937-ab12/720p/seg-00000042.ts' */
export function segmentKey(prefix: string, segment: SegmentKeyInput): string {
  const sequence = String(segment.sequence).padStart(8, '0');
  return checkKeyLength(`${renditionFolder(prefix, segment)}seg-${sequence}${extensionOf(segment.uri) || '.bin'}`);
}

/**
 * A part's object name beside its segment's: 'seg-00000042.part3.ts'. One rule for r2-upload (the
 * key) and manifest (EXT-X-PRELOAD-HINT names the next part's URL before it is stored).
 */
export function partObjectName(sequence: number, index: number, extension: string): string {
  return `seg-${String(sequence).padStart(8, '0')}.part${index}${extension}`;
}

/** e.g. 'live/cam1/s-20261123T0937-ab12/720p/seg-00000042.part3.ts': unique per part, never reused. */
export function partKey(prefix: string, part: SegmentKeyInput & { index: number }): string {
  return checkKeyLength(`${renditionFolder(prefix, part)}${partObjectName(part.sequence, part.index, extensionOf(part.uri) || '.bin')}`);
}

/**
 * Init sections are keyed by their content hash: one object per session, rendition and distinct
 * init (a codec change mid-session gets a new key instead of overwriting the old one).
 */
export function initKey(prefix: string, owner: { stream: string; session: string; rendition: string }, init: { uri: string; sha256: string }): string {
  return checkKeyLength(`${renditionFolder(prefix, owner)}init-${init.sha256.slice(0, 16)}${extensionOf(init.uri) || '.mp4'}`);
}

/**
 * Key given on a msg (playlists and other files), relative to the bucket's prefix. Refuses keys
 * that could escape the prefix or that S3 treats badly (leading '/', '..', control characters).
 */
export function objectKey(prefix: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new RelaycastError('E_UPLOAD_INPUT', 'msg.key must be a non-empty string');
  if (key.startsWith('/') || key.includes('\\') || /[\u0000-\u001f\u007f]/.test(key)) {
    throw new RelaycastError('E_UPLOAD_INPUT', 'msg.key may not start with "/" or contain backslashes or control characters');
  }
  if (key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new RelaycastError('E_UPLOAD_INPUT', 'msg.key may not contain empty, "." or ".." path components');
  }
  return checkKeyLength(prefix + key);
}

function checkKeyLength(key: string): string {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new RelaycastError('E_UPLOAD_INPUT', `object key longer than ${MAX_KEY_BYTES} bytes`);
  return key;
}

/** Public URL of a key: the base URL without trailing slashes, '/', then each path component URL-encoded. */
export function publicUrl(publicBaseUrl: string, key: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
