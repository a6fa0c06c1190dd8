/**
 * Supporter identities. The operator issues each supporter a token (never the publish key) and
 * lists them in the node's credentials as `supporterId:token` lines, or supplies a verify hook.
 * Tokens are compared by their SHA-256 digest, so lookup time does not depend on how many leading
 * characters of a guess are right. The editor's invite (nodes/payout/invite-route.ts) issues a token
 * by adding one such line, so an issued token is just another entry of the list.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RelaycastError } from '../errors';
import { ID_RULE, isId } from '../protocol/msgs';
import { BOUNDS } from './protocol';

export type SupporterVerifier = (token: string, swarm: { stream: string; rendition: string }) => string | null | undefined | Promise<string | null | undefined>;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The digest a token is looked up by, in hex (as lists and the instances sharing Redis key it). */
export function tokenDigest(token: string): string {
  return digest(token).toString('hex');
}

/** Parses `supporterId:token` lines (blank lines and `#` comments ignored). */
export function parseSupporterTokens(text: string | undefined): Map<string, string> {
  const byDigest = new Map<string, string>();
  if (!text) return byDigest;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const id = colon > 0 ? line.slice(0, colon).trim() : '';
    const token = colon > 0 ? line.slice(colon + 1).trim() : '';
    // Supporter ids travel in receipts to payout, which keys its ledger on them: the one id rule.
    if (!isId(id)) {
      throw new RelaycastError('E_SIGNAL_CONFIG', `supporter tokens line ${i + 1}: expected 'supporterId:token' with an id of ${ID_RULE}`);
    }
    if (token.length < BOUNDS.tokenMinChars || token.length > BOUNDS.tokenMaxChars) {
      throw new RelaycastError(
        'E_SIGNAL_CONFIG',
        `supporter tokens line ${i + 1}: the token must be ${BOUNDS.tokenMinChars}–${BOUNDS.tokenMaxChars} characters`,
      );
    }
    byDigest.set(tokenDigest(token), id);
  });
  return byDigest;
}

/** A verifier over a parsed token list. */
export function tokenListVerifier(byDigest: Map<string, string>): SupporterVerifier {
  const entries = [...byDigest.entries()].map(([hex, id]) => ({ key: Buffer.from(hex, 'hex'), id }));
  return (token) => {
    const probe = digest(token);
    let found: string | null = null;
    // Compare against every entry, so the time taken does not reveal which one matched.
    for (const entry of entries) if (timingSafeEqual(entry.key, probe)) found = entry.id;
    return found;
  };
}

/** The node's token list, unless the operator's verify hook (a settings function) checks tokens instead. */
export function supporterTokenList(hook: unknown, tokens: string | undefined): SupporterTokenList | undefined {
  return typeof hook === 'function' ? undefined : new SupporterTokenList(tokens);
}

/**
 * A token admitted by any of `verifiers` (the node's own list, the tokens the other instances
 * issued): each is asked, so the time taken does not say which list holds it.
 */
export function anyVerifier(...verifiers: SupporterVerifier[]): SupporterVerifier {
  return async (token, swarm) => {
    const found = await Promise.all(verifiers.map((verify) => verify(token, swarm)));
    return found.find((id) => typeof id === 'string') ?? null;
  };
}

/** The operator's verify hook (a settings function) when there is one, else the node's token list. */
export function supporterVerifier(hook: unknown, tokens: string | undefined): SupporterVerifier {
  return supporterTokenList(hook, tokens)?.verify ?? (hook as SupporterVerifier);
}

/** Bytes of randomness in an issued token: 256 bits, as many as the digest it is looked up by. */
const ISSUED_TOKEN_BYTES = 32;

/**
 * A token list that can grow while it runs: an issued token is admitted at once, without a
 * redeploy. `verify` always checks against the current list.
 */
export class SupporterTokenList {
  private check: SupporterVerifier;

  constructor(private text = '') {
    this.check = tokenListVerifier(parseSupporterTokens(text));
  }

  readonly verify: SupporterVerifier = (token, swarm) => this.check(token, swarm);

  /**
   * A fresh token for `supporterId`, added as one more `supporterId:token` line. Base64url, so it
   * needs no escaping in a URL fragment or a shell command, and 43 characters, within the protocol's
   * bounds. Returns the token and the line (for the shell to keep in the node's credentials).
   */
  issue(supporterId: string): { token: string; line: string } {
    if (!isId(supporterId)) throw new RelaycastError('E_INVITE_INPUT', `the supporter id must be ${ID_RULE}`);
    const token = randomBytes(ISSUED_TOKEN_BYTES).toString('base64url');
    const line = `${supporterId}:${token}`;
    this.add(line);
    return { token, line };
  }

  /** Every token of the list as digest (hex) → supporter id: what the instances sharing Redis exchange. */
  digests(): Map<string, string> {
    return parseSupporterTokens(this.text);
  }

  /** Adds a `supporterId:token` line, read by the same rule as the configured list. */
  add(line: string): void {
    const text = withLine(this.text, line);
    this.check = tokenListVerifier(parseSupporterTokens(text));
    this.text = text;
  }
}

/** `text` with `line` appended as a line of its own. */
export function withLine(text: string | undefined, line: string): string {
  const kept = (text ?? '').replace(/\s+$/, '');
  return kept === '' ? line : `${kept}\n${line}`;
}
