/**
 * The STUN entry a viewer is given when the signaling node runs its own responder (lib/stun): the
 * host the viewer reached Node-RED at (its WebSocket upgrade's Host header) or the operator's
 * configured public host, and the responder's UDP port. The Host header is client input: it only ever
 * goes back into that client's own welcome, but it is still checked to be a plain host (DNS name,
 * IPv4, or bracketed IPv6), so nothing else is ever put into an ICE URL; a bad one gives no entry.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { IceServer } from './protocol';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

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
    if (close < 0 || !(rest === '' || /^:\d{1,5}$/.test(rest)) || !isIPv6(inner)) return undefined;
    return `[${inner}]`;
  }
  if (isIPv6(trimmed)) return `[${trimmed}]`;
  const colon = trimmed.indexOf(':');
  const host = colon < 0 ? trimmed : trimmed.slice(0, colon);
  if (colon >= 0 && !/^\d{1,5}$/.test(trimmed.slice(colon + 1))) return undefined;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (isIPv4(name)) return name;
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) return undefined;
  // All-numeric names are not hosts (RFC 1123 §2.1: a name's top label is never all digits).
  if (/^[\d.]+$/.test(name)) return undefined;
  return name;
}

export interface BuiltInStun {
  port: number;
  /** The operator's public host (already checked with stunHost); else each viewer's Host header. */
  publicHost?: string;
  /** False while the responder is not answering (its port could not be bound): then no entry. */
  listening(): boolean;
}

/** The viewer's list: the built-in server at the host it used, or nothing if that host is unusable or the responder is down. */
export function builtInStunServers(stun: BuiltInStun, viewerHost: string | undefined): IceServer[] {
  const host = stun.publicHost ?? viewerHost;
  if (host === undefined || !stun.listening()) return [];
  return [{ urls: `stun:${host}:${stun.port}` }];
}
