/**
 * The one parser for the numbers in a node's editor fields (hls-watch, r2-upload, manifest), with
 * one behaviour: an empty field takes the default; anything else must be a number inside the
 * field's range, or the node refuses to start (an error at deploy, with the field named). Running
 * silently with a default, as r2-upload once did with a concurrency of -3, hides the mistake.
 */
import { RelaycastError } from './errors';

export interface NumberRule {
  /** The field's label in the editor, for the message. */
  field: string;
  /** The node's configuration error code. */
  code: string;
  fallback: number;
  min: number;
  max: number;
  integer?: boolean;
}

export function configNumber(value: unknown, rule: NumberRule): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return rule.fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < rule.min || n > rule.max || (rule.integer === true && !Number.isInteger(n))) {
    const kind = rule.integer ? 'a whole number' : 'a number';
    throw new RelaycastError(rule.code, `${rule.field} must be ${kind} from ${rule.min} to ${rule.max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
