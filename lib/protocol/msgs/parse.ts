/**
 * Runs a msg schema and turns its first issue into the receiving node's RelaycastError, so every
 * node refuses bad input with its own code (a Catch node branches on it) and a message that names
 * the field.
 */
import * as v from 'valibot';
import { RelaycastError } from '../../errors';

export interface MsgIssue {
  /** Dotted path below the parsed value, e.g. "segment.url"; "" for the value itself. */
  path: string;
  /** The last key of the path (the field), when there is one. */
  field: string | undefined;
  input: unknown;
  /** "<where>.<path> must be …, got …". */
  message: string;
}

/** A fixed code, or one chosen per issue (manifest tells a missing URL from a bad id), with an optional hint for the operator. */
export type CodeFor = string | ((issue: MsgIssue) => string | { code: string; hint: string });

export function describeIssue(issue: v.BaseIssue<unknown>, where: string): MsgIssue {
  const keys = (issue.path ?? []).map((item) => String(item.key));
  const path = keys.join('.');
  const at = [where, path].filter(Boolean).join('.');
  // Absent and undefined read the same (an object reports a missing key with the key as `expected`).
  if (issue.input === undefined) return { path, field: keys.at(-1), input: undefined, message: `${at} is missing` };
  const rule = issue.type === 'custom' ? issue.message : `must be ${issue.expected === 'Object' ? 'an object' : (issue.expected ?? 'valid')}`;
  return { path, field: keys.at(-1), input: issue.input, message: `${at} ${rule}, got ${shown(issue.input)}` };
}

/** The schema's output, or the first issue thrown as RelaycastError(code, message). */
export function parseMsg<S extends v.GenericSchema>(schema: S, value: unknown, where: string, code: CodeFor): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = describeIssue(result.issues[0], where);
  const chosen = typeof code === 'string' ? code : code(issue);
  if (typeof chosen === 'string') throw new RelaycastError(chosen, issue.message);
  throw new RelaycastError(chosen.code, `${issue.message}: ${chosen.hint}`);
}

function shown(input: unknown): string {
  if (typeof input === 'object' && input !== null && ArrayBuffer.isView(input)) return `${input.byteLength} bytes`;
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
