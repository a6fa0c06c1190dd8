/**
 * What may stand as the host of a stun: URI, as one rule for every side: a viewer's Host header
 * (lib/signaling/built-in-stun.ts), the signaling node's Public host at deploy
 * (nodes/signaling/config.ts) and the same field in the editor (signaling.html, which the build
 * inlines this file into). So it imports nothing and uses only what a browser has: the address
 * checks below are written out because node:net's isIPv4/isIPv6 do not exist there
 * (test/unit/signaling/stun-host.spec.ts holds them to node:net's answers).
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** A dotted-quad IPv4 address without leading zeros, as node:net's isIPv4. */
export function isIPv4Address(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** An IPv6 address in text form (RFC 4291 §2.2, embedded IPv4 included), without a zone id. */
export function isIPv6Address(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return false;
  const groups = [...head, ...tail];
  // An embedded IPv4 address may only end the address (not stand before its '::'), and stands for two groups.
  const ending = halves.length === 2 ? tail : head;
  const last = ending[ending.length - 1];
  const embedded = last !== undefined && last.includes('.');
  if (embedded && !isIPv4Address(last)) return false;
  const hex = embedded ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => HEX_GROUP.test(g))) return false;
  const count = hex.length + (embedded ? 2 : 0);
  // '::' stands for at least one group of zeros.
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * `text` as the host of a stun: URI — a DNS name or IPv4 address, lower case, or an IPv6 literal in
 * brackets — with any `:port` dropped; undefined when it is none of these. Accepts a Host header
 * (`example.org:1880`, `[::1]:1880`) and a configured host (a bare IPv6 address gets its brackets).
 */
export function stunHost(text: string | undefined): string | undefined {
  const trimmed = (text ?? '').trim().toLowerCase();
  // A zone id (fe80::1%eth0) names an interface of the client's machine, not a host anyone else can reach.
  if (trimmed === '' || trimmed.length > 260 || trimmed.includes('%')) return undefined;
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    const rest = trimmed.slice(close + 1);
    const inner = trimmed.slice(1, close);
    if (close < 0 || !(rest === '' || /^:\d{1,5}$/.test(rest)) || !isIPv6Address(inner)) return undefined;
    return `[${inner}]`;
  }
  if (isIPv6Address(trimmed)) return `[${trimmed}]`;
  const colon = trimmed.indexOf(':');
  const host = colon < 0 ? trimmed : trimmed.slice(0, colon);
  if (colon >= 0 && !/^\d{1,5}$/.test(trimmed.slice(colon + 1))) return undefined;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (isIPv4Address(name)) return name;
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) return undefined;
  // All-numeric names are not hosts (RFC 1123 §2.1: a name's top label is never all digits).
  if (/^[\d.]+$/.test(name)) return undefined;
  return name;
}

const publicHostText = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/**
 * Why `value` cannot be the signaling node's Public host, or undefined when it can (or is blank:
 * then each viewer's own Host header is used). A port is refused rather than dropped: the STUN port
 * is its own field, and a port here is most likely Node-RED's HTTP port, which answers no STUN.
 */
export function publicHostProblem(value: unknown): string | undefined {
  if (value !== undefined && value !== null && typeof value !== 'string') return `Public host must be text, got ${JSON.stringify(value)}`;
  const text = publicHostText(value);
  if (text === '') return undefined;
  if (/^\[.*\]:\d+$/.test(text) || /^[^:]+:\d+$/.test(text)) {
    return `Public host is a host name or address without a port (the STUN port is its own field), got ${JSON.stringify(text)}`;
  }
  if (stunHost(text) === undefined) return `Public host must be a DNS name, an IPv4 or an IPv6 address, got ${JSON.stringify(text)}`;
  return undefined;
}

/** The Public host as a stun: URI host, or undefined when blank; call after publicHostProblem found none. */
export function publicHostOf(value: unknown): string | undefined {
  return stunHost(publicHostText(value));
}

/** The editor's validator for Public host: true or the deploy's message (two parameters: see lib/config/number-rule.ts). */
export function editorPublicHostValidator(value: unknown, _options?: unknown): true | string {
  return publicHostProblem(value) ?? true;
}
