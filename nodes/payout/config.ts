/**
 * Maps relaycast-payout's editor config onto the ledger's options. Empty fields take the documented
 * defaults; anything else unparsable is a configuration error with a code, never a silent default.
 */
import path from 'node:path';
import { configNumber } from '../../lib/config/config-number';
import { RelaycastError } from '../../lib/errors';
import { DEFAULT_RULES, type RuleSettings } from '../../lib/payout/rules';
import { PAYOUT_NUMBERS } from './number-fields';

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
  /** A relaycast-redis config node: the summary's per-source limit is shared with other instances through it. */
  redis?: string;
  /** Proxies trusted to name the client of a summary request (as signaling's field of the same name). */
  trustedProxies?: string;
}

export interface PayoutCredentials {
  supporterTokens?: string;
}

export const DEFAULT_LEDGER = 'relaycast-payout.sqlite';
export const DEFAULT_SUMMARY_PATH = '/relaycast/payout';

/** A number field by its rule (number-fields.ts, the editor's too): empty takes the default, a bad one is E_PAYOUT_CONFIG. */
function number(config: PayoutConfig, field: keyof typeof PAYOUT_NUMBERS): number {
  return configNumber(config[field], { ...PAYOUT_NUMBERS[field], code: 'E_PAYOUT_CONFIG' });
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
  return number(config, 'threshold');
}

export function batchMsFromConfig(config: PayoutConfig): number {
  return number(config, 'batchMs');
}

/** The ledger file: absolute as given, else relative to Node-RED's userDir. */
export function ledgerPath(config: PayoutConfig, userDir: string | undefined): string {
  const name = (config.ledger ?? '').trim() || DEFAULT_LEDGER;
  if (name.includes('\0')) throw new RelaycastError('E_PAYOUT_CONFIG', 'ledger file name must not contain NUL');
  if (path.isAbsolute(name)) return name;
  if (!userDir) throw new RelaycastError('E_PAYOUT_CONFIG', "a relative ledger file needs Node-RED's userDir; give an absolute path");
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
