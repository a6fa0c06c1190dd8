/**
 * PostgreSQL text cannot hold a NUL character, and a lone UTF-16 surrogate would be turned into
 * U+FFFD on the way in (so two different receipt ids could meet as one). Strings that reach the
 * ledger from msgs (receipt ids, network tags, cap keys, supporter names) may contain either, and a
 * single such receipt must not make its whole batch fail. This encoding is injective and leaves
 * every ordinary string unchanged: a backslash becomes `\\`, and NUL or a lone surrogate becomes
 * `\uXXXX`.
 */
const SPECIAL = /[\\\0]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPED = /\\(\\|u[0-9a-f]{4})/g;

export function encodePgText(s: string): string {
  return s.replace(SPECIAL, (ch) => (ch === '\\' ? '\\\\' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

export function decodePgText(s: string): string {
  return s.replace(ESCAPED, (_, e: string) => (e === '\\' ? '\\' : String.fromCharCode(parseInt(e.slice(1), 16))));
}
