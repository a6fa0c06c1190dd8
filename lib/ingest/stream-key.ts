/**
 * The stream key: a publisher's password. It is compared through fixed-length digests in constant
 * time, so neither its length nor a matching prefix shows in how long a refusal takes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkPublisherSecret } from './publisher-secret';

/** Long enough that guessing it over the network is hopeless at the refusal rate the ingest allows. */
export const MIN_STREAM_KEY_CHARS = 16;
export const MAX_STREAM_KEY_CHARS = 256;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Throws E_CONFIG for a key an operator should not use. */
export function checkStreamKey(key: string | undefined): string {
  return checkPublisherSecret(key, {
    name: 'the stream key',
    missing: 'the ingest needs a stream key (in the node’s credentials)',
    minChars: MIN_STREAM_KEY_CHARS,
    maxChars: MAX_STREAM_KEY_CHARS,
    // A key goes into OBS and into RTMP commands: printable ASCII without spaces, / or ?.
    chars: /^[\x21-\x2e\x30-\x3e\x40-\x7e]+$/,
    excluded: 'spaces, / or ?',
  });
}

export function streamKeyMatcher(expected: string): (given: string) => boolean {
  const want = digest(expected);
  return (given) => timingSafeEqual(digest(given), want);
}
