/**
 * The one rule for the ingest's two publisher secrets, the RTMP stream key and the SRT passphrase:
 * present in the node's credentials, long enough that guessing it is hopeless, short enough for
 * what carries it, and only of characters its carrier holds unquoted. Each secret's module gives
 * its bounds and characters and says why.
 */
import { RelaycastError } from '../errors';

export interface PublisherSecretRule {
  /** As a message starts: "the stream key". */
  name: string;
  /** The message when it is not set. */
  missing: string;
  minChars: number;
  maxChars: number;
  /** The whole secret, anchored: which printable ASCII characters it may hold. */
  chars: RegExp;
  /** The characters `chars` leaves out, as a message lists them after "without ". */
  excluded: string;
}

/** The secret, or E_CONFIG saying which part of the rule it breaks. */
export function checkPublisherSecret(secret: string | undefined, rule: PublisherSecretRule): string {
  if (!secret) throw new RelaycastError('E_CONFIG', rule.missing);
  if (secret.length < rule.minChars || secret.length > rule.maxChars)
    throw new RelaycastError('E_CONFIG', `${rule.name} must be ${rule.minChars}–${rule.maxChars} characters`);
  if (!rule.chars.test(secret)) throw new RelaycastError('E_CONFIG', `${rule.name} may hold printable ASCII only, without ${rule.excluded}`);
  return secret;
}
