/**
 * The rule of one number field in a node's editor, for both sides: lib/config/config-number.ts applies it
 * at deploy, and an editor that inlines this file (scripts/build.mjs, `relaycast:inline`) marks the
 * field invalid with it, so the two cannot drift apart. It imports nothing and uses only what a
 * browser has too.
 */

export interface FieldNumberRule {
  /** The field's label in the editor, for the message. */
  field: string;
  fallback: number;
  min: number;
  max: number;
  integer?: boolean;
}

/** An empty field: it takes the rule's fallback. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Why `value` breaks `rule`, or undefined when it is a number the rule accepts (blank is not). */
export function numberProblem(value: unknown, rule: FieldNumberRule): string | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isFinite(n) && n >= rule.min && n <= rule.max && (rule.integer !== true || Number.isInteger(n))) return undefined;
  const kind = rule.integer ? 'a whole number' : 'a number';
  return `${rule.field} must be ${kind} from ${rule.min} to ${rule.max}, got ${JSON.stringify(value)}`;
}

/**
 * The editor's validator for the field: true, or the message the deploy would refuse it with,
 * which the editor lists for the invalid node. Blank is left to `required`. It declares two
 * parameters on purpose: Node-RED takes a returned string as a refusal only from a validator of
 * two (validate.length === 2, its 3.x form); from one of one it coerces the string to true, valid.
 */
export function editorNumberValidator(rule: FieldNumberRule): (value: unknown, options?: unknown) => true | string {
  return (value: unknown, _options?: unknown) => (isBlank(value) ? true : (numberProblem(value, rule) ?? true));
}
