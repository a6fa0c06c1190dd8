/**
 * The stream key: a publisher's password. It is compared through fixed-length digests in constant
 * time, so neither its length nor a matching prefix shows in how long a refusal takes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RelaycastError } from '../errors';

/** Long enough that guessing it over the network is hopeless at the refusal rate the ingest allows. */
export const MIN_STREAM_KEY_CHARS = 16;
export const MAX_STREAM_KEY_CHARS = 256;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Throws E_CONFIG for a key an operator should not use. */
export function checkStreamKey(key: string | undefined): string {
  if (!key) throw new RelaycastError('E_CONFIG', 'the ingest needs a stream key (in the node’s credentials)');
  if (key.length < MIN_STREAM_KEY_CHARS || key.length > MAX_STREAM_KEY_CHARS)
    throw new RelaycastError('E_CONFIG', `the stream key must be ${MIN_STREAM_KEY_CHARS}–${MAX_STREAM_KEY_CHARS} characters`);
  // A key goes into OBS and into RTMP commands: printable ASCII without spaces, / or ?.
  if (!/^[\x21-\x2e\x30-\x3e\x40-\x7e]+$/.test(key))
    throw new RelaycastError('E_CONFIG', 'the stream key may hold printable ASCII only, without spaces, / or ?');
  return key;
}

export function streamKeyMatcher(expected: string): (given: string) => boolean {
  const want = digest(expected);
  return (given) => timingSafeEqual(digest(given), want);
}
