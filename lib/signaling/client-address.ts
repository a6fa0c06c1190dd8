/**
 * The client's address for limits and receipts. Behind a reverse proxy every connection comes from
 * the proxy, so the proxy's `Forwarded` (RFC 7239) or `X-Forwarded-For` header must be read — but
 * only when the connection really comes from a proxy the operator listed: anyone else can send those
 * headers. Each proxy appends the address it saw, so the chain is read from the right, skipping
 * listed proxies; the first address that is not one is the client (entries further left are the
 * client's own to forge).
 */
import { BlockList, isIP } from 'node:net';
import { RelaycastError } from '../errors';
import { normalizeAddress, parseAddress } from './addresses';

export interface TrustedProxies {
  readonly list: BlockList;
  readonly empty: boolean;
}

/** `127.0.0.1, 10.0.0.0/8, ::1` — addresses or CIDR ranges, separated by commas or spaces. */
export function parseTrustedProxies(text: string | undefined): TrustedProxies {
  const list = new BlockList();
  const entries = (text ?? '').split(/[\s,]+/).filter((e) => e !== '');
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new RelaycastError('E_SIGNAL_CONFIG', `trusted proxy '${entry}' must be an IP address or CIDR range (10.0.0.0/8, 2001:db8::/32)`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { list, empty: entries.length === 0 };
}

function isTrusted(address: string, trusted: TrustedProxies): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  const text = parsed.family === 4 ? parsed.bytes.join('.') : address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return trusted.list.check(text, parsed.family === 4 ? 'ipv4' : 'ipv6');
}

/** `for=` values of a Forwarded header, in order (quotes, brackets and ports removed). */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      let value = pair
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
      if (value.startsWith('[')) value = value.slice(1, value.indexOf(']'));
      else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.indexOf(':'));
      out.push(value);
    }
  }
  return out;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export function clientAddress(remote: string, headers: Record<string, string | string[] | undefined>, trusted: TrustedProxies): string {
  return normalizeAddress(forwardedClient(remote, headers, trusted));
}

function forwardedClient(remote: string, headers: Record<string, string | string[] | undefined>, trusted: TrustedProxies): string {
  if (trusted.empty || !isTrusted(remote, trusted)) return remote;
  const forwarded = headerText(headers.forwarded);
  const xff = headerText(headers['x-forwarded-for']);
  const chain =
    forwarded !== undefined
      ? forwardedFor(forwarded)
      : (xff ?? '')
          .split(',')
          .map((h) => h.trim())
          .filter((h) => h !== '');
  let client = remote;
  for (let i = chain.length - 1; i >= 0; i--) {
    // An obfuscated or unknown hop ends what can be believed: the last proxy stands for the client.
    if (!parseAddress(chain[i])) break;
    client = chain[i];
    if (!isTrusted(client, trusted)) break;
  }
  return client;
}
