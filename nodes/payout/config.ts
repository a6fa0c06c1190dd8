/**
 * Maps relaycast-payout's editor config onto the ledger's options. Empty fields take the documented
 * defaults; anything else unparsable is a configuration error with a code, never a silent default.
 */
import path from 'node:path';
import { RelaycastError } from '../../lib/errors';
import { DEFAULT_RULES, type RuleSettings } from '../../lib/payout/rules';

export interface PayoutConfig {
  ledger?: string;
  threshold?: string | number;
  sameNetwork?: string;
  untagged?: string;
  segments?: string;
  batchMs?: string | number;
  summaryPath?: string;
  signaling?: string;
  /** A relaycast-postgres config node: the ledger lives there instead of in the SQLite file. */
  postgres?: string;
}

export interface PayoutCredentials {
  supporterTokens?: string;
}

export const DEFAULT_LEDGER = 'relaycast-payout.sqlite';
export const DEFAULT_SUMMARY_PATH = '/relaycast/payout';

function integer(value: string | number | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) throw new RelaycastError('E_PAYOUT_CONFIG', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

function choice<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new RelaycastError('E_PAYOUT_CONFIG', `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function rulesFromConfig(config: PayoutConfig): RuleSettings {
  return {
    sameNetwork: choice(config.sameNetwork, 'same network', ['refuse', 'allow'] as const, DEFAULT_RULES.sameNetwork),
    untagged: choice(config.untagged, 'untagged receipts', ['credit', 'refuse'] as const, DEFAULT_RULES.untagged),
    segments: choice(config.segments, 'segments', ['signaling', 'published'] as const, DEFAULT_RULES.segments),
  };
}

export function thresholdFromConfig(config: PayoutConfig): number {
  return integer(config.threshold, 'payout threshold', 0, 0, Number.MAX_SAFE_INTEGER);
}

export function batchMsFromConfig(config: PayoutConfig): number {
  return integer(config.batchMs, 'group commit window', 2, 0, 1000);
}

/** The ledger file: absolute as given, else relative to Node-RED's userDir. */
export function ledgerPath(config: PayoutConfig, userDir: string | undefined): string {
  const name = (config.ledger ?? '').trim() || DEFAULT_LEDGER;
  if (name.includes('\0')) throw new RelaycastError('E_PAYOUT_CONFIG', 'ledger file name must not contain NUL');
  if (path.isAbsolute(name)) return name;
  if (!userDir) throw new RelaycastError('E_PAYOUT_CONFIG', 'a relative ledger file needs Node-RED\'s userDir; give an absolute path');
  return path.join(userDir, name);
}

export function summaryPathFromConfig(config: PayoutConfig): string {
  const p = (config.summaryPath ?? DEFAULT_SUMMARY_PATH).trim();
  if (p === '') return '';
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(p) || p.includes('//') || p.split('/').includes('..')) {
    throw new RelaycastError('E_PAYOUT_CONFIG', 'summary path must be a URL path made of [A-Za-z0-9._~-/], or empty for none');
  }
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}
