/**
 * The supporter's settings, shared by the Node-RED node and the command line: which signaling
 * server, which swarms (stream/rendition pairs), the upload and memory caps, and where to read
 * verified credit. One parser, so both front ends refuse the same bad input with the same codes.
 * The token is not here on purpose: it travels separately (credentials, a file or the environment)
 * so that nothing that prints or stores settings can leak it.
 */
import { configNumber } from '../config/config-number';
import { RelaycastError } from '../errors';
import { isMediaId } from '../protocol';
import { ID_RULE } from '../protocol/msgs/ids';
import { SUPPORTER_NUMBERS } from './number-fields';

export interface Swarm {
  stream: string;
  rendition: string;
}

export interface SupporterSettings {
  signalingUrl: string;
  swarms: Swarm[];
  /** Upload cap across all swarms, bytes per second (0 = uncapped). */
  uploadBytesPerSecond: number;
  /** Cap on segment bytes held across all swarms. */
  maxStoreBytes: number;
  maxPeers: number;
  /** payout's supporter summary (`…/me`), polled for verified credit; '' = none. */
  creditUrl: string;
}

export interface RawSettings {
  signalingUrl?: unknown;
  /** "stream/rendition" entries separated by commas, spaces or newlines, or an array of them. */
  swarms?: unknown;
  uploadKBps?: unknown;
  memoryMB?: unknown;
  maxPeers?: unknown;
  creditUrl?: unknown;
}

export const MAX_SWARMS = 16;

function fail(message: string): never {
  throw new RelaycastError('E_SUPPORTER_CONFIG', message);
}

/** A number setting by its rule (number-fields.ts, the editor's too): empty takes the default, a bad one is E_SUPPORTER_CONFIG. */
export function supporterNumber(value: unknown, field: keyof typeof SUPPORTER_NUMBERS, label?: string): number {
  const rule = SUPPORTER_NUMBERS[field];
  return configNumber(value, { ...rule, field: label ?? rule.field, code: 'E_SUPPORTER_CONFIG' });
}

export function parseSwarms(value: unknown): Swarm[] {
  const entries = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const swarms: Swarm[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const [stream, rendition, extra] = entry.split('/');
    if (extra !== undefined || !isMediaId(stream) || !isMediaId(rendition)) {
      fail(`"${entry.slice(0, 80)}" is not stream/rendition (ids of ${ID_RULE})`);
    }
    if (!swarms.some((s) => s.stream === stream && s.rendition === rendition)) swarms.push({ stream, rendition });
  }
  if (swarms.length === 0) fail('name at least one stream/rendition to carry');
  if (swarms.length > MAX_SWARMS) fail(`at most ${MAX_SWARMS} stream/rendition pairs`);
  return swarms;
}

function url(value: unknown, name: string, protocols: string[], optional: boolean): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '' && optional) return '';
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return fail(`${name} must be an absolute ${protocols.join('/')} URL`);
  }
  if (!protocols.includes(parsed.protocol)) fail(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  if (parsed.username || parsed.password) fail(`${name} must not carry a user or password`);
  return parsed.toString();
}

export function parseSettings(raw: RawSettings): SupporterSettings {
  return {
    signalingUrl: url(raw.signalingUrl, 'signaling URL', ['ws:', 'wss:'], false),
    swarms: parseSwarms(raw.swarms),
    uploadBytesPerSecond: Math.round(supporterNumber(raw.uploadKBps, 'uploadKBps') * 1000),
    maxStoreBytes: Math.round(supporterNumber(raw.memoryMB, 'memoryMB') * 1024 * 1024),
    // A whole number by its rule: 2.5 is refused, not rounded to 3.
    maxPeers: supporterNumber(raw.maxPeers, 'maxPeers'),
    creditUrl: url(raw.creditUrl, 'credit URL', ['http:', 'https:'], true),
  };
}

/** Supporter tokens as signaling accepts them (protocol: 1–256 characters, no whitespace). */
export function checkToken(token: unknown): string {
  const text = typeof token === 'string' ? token.trim() : '';
  if (text === '' || text.length > 256 || /\s/.test(text)) {
    throw new RelaycastError('E_SUPPORTER_TOKEN', 'a supporter token (1–256 characters, no spaces) is required');
  }
  return text;
}
