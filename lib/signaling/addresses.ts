/**
 * Client addresses as the limits and receipts see them. One person rarely holds one IPv6 address:
 * a home or a phone gets a whole /64 and may pick any of its 2^64 addresses, so counting /128s would
 * give an abuser unlimited "addresses". Everything keyed on a client (connections, budgets, receipt
 * dedupe) therefore uses a prefix: the full IPv4 address, the IPv6 /64 by default. An IPv6 address
 * that only carries an IPv4 one (6to4, Teredo, NAT64) is keyed as that IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

/** Parses a textual address (IPv4, IPv6, IPv4-mapped IPv6 → IPv4, zone ids dropped); undefined if it is none. */
export function parseAddress(text: string): ParsedAddress | undefined {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIPv4(address)) return { family: 4, bytes: Uint8Array.from(address.split('.').map(Number)) };
  if (!isIPv6(address)) return undefined;
  const bytes = ipv6Bytes(address);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
    const [a, b, c, d] = last.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  const front = parse(gap >= 0 ? text.slice(0, gap) : text);
  const back = gap >= 0 ? parse(text.slice(gap + 2)) : [];
  const groups = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/**
 * The IPv4 address an IPv6 transition address carries, which is where its traffic really comes from:
 * one IPv4 address would otherwise stand for a whole IPv6 /48 of "networks" (6to4 gives each IPv4
 * address 2002:V4V4:V4V4::/48) or, behind Teredo, for as many addresses as the client has ports.
 * - 6to4, 2002::/16: the IPv4 address is bits 16–47 (RFC 3056).
 * - Teredo, 2001:0::/32: the client's public IPv4 address is the last 32 bits, inverted (RFC 4380).
 * - NAT64/DNS64, 64:ff9b::/96 and the local-use 64:ff9b:1::/48: the last 32 bits (RFC 6052's /96
 *   form, the one a translator in front of a server shows, RFC 7755; RFC 8215 for the local use).
 * Undefined for any other address.
 */
export function embeddedIPv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== 16) return undefined;
  const starts = (...prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
  if (starts(0x20, 0x02)) return bytes.slice(2, 6);
  if (starts(0x20, 0x01, 0x00, 0x00)) return bytes.slice(12).map((b) => b ^ 0xff);
  if (starts(0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0) || starts(0x00, 0x64, 0xff, 0x9b, 0x00, 0x01)) return bytes.slice(12);
  return undefined;
}

/** An IPv6 address that carries an IPv4 address (embeddedIPv4) counted as that IPv4 address. */
function throughEmbedding(parsed: ParsedAddress | undefined): ParsedAddress | undefined {
  const embedded = parsed?.family === 6 ? embeddedIPv4(parsed.bytes) : undefined;
  return embedded ? { family: 4, bytes: embedded } : parsed;
}

/** The address as one canonical text for IPv4 (an IPv4-mapped IPv6 address becomes dotted); others unchanged. */
export function normalizeAddress(text: string): string {
  const parsed = parseAddress(text);
  return parsed?.family === 4 ? parsed.bytes.join('.') : text;
}

export interface PrefixBits {
  /** Bits kept of an IPv4 address (0–32). */
  v4: number;
  /** Bits kept of an IPv6 address (0–128). */
  v6: number;
}

/**
 * The prefix an address belongs to, as text (`10.1.2.0/24`, `2001:db8:1:2::/64`); the address itself
 * (or `unknown`) when it does not parse, so that an odd transport never merges unrelated clients.
 */
export function addressPrefix(text: string, bits: PrefixBits): string {
  const parsed = throughEmbedding(parseAddress(text));
  if (!parsed) return text === '' ? 'unknown' : text;
  const keep = parsed.family === 4 ? bits.v4 : bits.v6;
  const masked = parsed.bytes.map((b, i) => {
    const from = i * 8;
    if (keep >= from + 8) return b;
    if (keep <= from) return 0;
    return b & (0xff << (8 - (keep - from)));
  });
  if (parsed.family === 4) return `${masked.join('.')}/${keep}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((masked[i] << 8) | masked[i + 1]).toString(16));
  return `${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${keep}`;
}

/** The prefix lengths that make one client source (SignalingLimits.sourcePrefixV4/V6). */
export interface SourcePrefixes {
  sourcePrefixV4: number;
  sourcePrefixV6: number;
}

/** A client's source as every per-source limit keys it: its address by the source prefixes (IPv4 /32, IPv6 /64 by default). */
export function sourceOf(address: string, prefixes: SourcePrefixes): string {
  return addressPrefix(address, { v4: prefixes.sourcePrefixV4, v6: prefixes.sourcePrefixV6 });
}
