/**
 * The one parser for the numbers in a node's editor fields, with one behaviour: an empty field
 * takes the default; anything else must be a number inside the field's range (lib/config/number-rule.ts),
 * or the node refuses to start (an error at deploy, with the field named). Running silently with a
 * default, as r2-upload once did with a concurrency of -3, hides the mistake.
 */
import { RelaycastError } from '../errors';
import { isBlank, numberProblem, type FieldNumberRule } from './number-rule';

export interface NumberRule extends FieldNumberRule {
  /** The node's configuration error code. */
  code: string;
}

export function configNumber(value: unknown, rule: NumberRule): number {
  if (isBlank(value)) return rule.fallback;
  const problem = numberProblem(value, rule);
  if (problem !== undefined) throw new RelaycastError(rule.code, problem);
  return typeof value === 'number' ? value : Number(value);
}
