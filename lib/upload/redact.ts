/**
 * Replaces every occurrence of the given secrets in a text. Applied to everything a node logs or
 * reports (errors, status, admin responses), as a last line of defence: a store's error message or
 * a URL could otherwise carry an access key id into a log line or a debug sidebar.
 */
export function makeRedactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  // Very short values would mangle ordinary text; real access keys are long.
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((out, secret) => out.split(secret).join('[redacted]'), String(text));
}
