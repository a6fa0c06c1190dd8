// The lab's wiring. An "internet" namespace holds a bridge on the benchmarking range
// 198.18.0.0/15 and the origin's address; each home is a router namespace (WAN on the bridge, LAN
// 10.<home>.0.0/24) and a host namespace behind it. Nothing has a default route off the lab: a
// packet to any other address is dropped where it starts, so no test traffic leaves the lab.
import { inNamespace, run, runQuietly } from './command';
import type { HomeSpec } from './home-spec';
import { hostNamespace, internetNamespace, routerNamespace } from './names';
import { LAN, routerRuleset, WAN } from './nat';
import { shapeEgress } from './shaping';

export const ORIGIN_ADDRESS = '198.18.0.1';
const BRIDGE = 'br0';
const PREFIX_LEN = 15;

export interface Home extends HomeSpec {
  router: string;
  host: string;
  /** The router's public address on the lab internet. */
  wanAddress: string;
  /** The viewer's own (private) address. */
  hostAddress: string;
}

function addNamespace(name: string): void {
  run('ip', ['netns', 'add', name]);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  // IPv4 only: an IPv6 link-local path would be one the NAT never sees.
  inNamespace(name, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** A veth pair with each end created straight in its namespace, addressed and up. */
function wire(a: { ns: string; dev: string; address?: string }, b: { ns: string; dev: string; address?: string }): void {
  run('ip', ['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
  for (const end of [a, b]) {
    if (end.address) run('ip', ['-n', end.ns, 'addr', 'add', end.address, 'dev', end.dev]);
    run('ip', ['-n', end.ns, 'link', 'set', end.dev, 'up']);
  }
}

/** The internet namespace with its bridge; the origin listens at ORIGIN_ADDRESS inside it. */
export function createInternet(prefix: string): string {
  const ns = internetNamespace(prefix);
  addNamespace(ns);
  run('ip', ['-n', ns, 'link', 'add', BRIDGE, 'type', 'bridge']);
  run('ip', ['-n', ns, 'addr', 'add', `${ORIGIN_ADDRESS}/${PREFIX_LEN}`, 'dev', BRIDGE]);
  run('ip', ['-n', ns, 'link', 'set', BRIDGE, 'up']);
  // Routes between un-NATed homes (the lab profile); the namespace has no other interface to reach.
  inNamespace(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  return ns;
}

const homeSubnet = (index: number): string => `10.${index}.0.0/24`;

/** A home's namespaces go, and the route to it (the bridge it used stays). */
export function removeHome(prefix: string, index: number): void {
  runQuietly('ip', ['netns', 'delete', hostNamespace(prefix, index)]);
  runQuietly('ip', ['netns', 'delete', routerNamespace(prefix, index)]);
  runQuietly('ip', ['-n', internetNamespace(prefix), 'route', 'del', homeSubnet(index)]);
}

export function addHome(prefix: string, spec: HomeSpec): Home {
  const i = spec.index;
  if (!Number.isInteger(i) || i < 1 || i > 250) throw Object.assign(new Error(`netlab: home index ${i} is outside 1–250`), { code: 'E_NETLAB_HOME' });
  const internet = internetNamespace(prefix);
  const router = routerNamespace(prefix, i);
  const host = hostNamespace(prefix, i);
  // Each home in a /24 of its own, as real homes are: signaling groups viewers into networks by /24
  // (limits.networkPrefixV4), and with every home in one /24 it took the whole lab for one household.
  const wanAddress = `198.19.${i}.1`;
  const hostAddress = `10.${i}.0.2`;
  addNamespace(router);
  addNamespace(host);
  const port = `h${i}`;
  wire({ ns: router, dev: WAN, address: `${wanAddress}/${PREFIX_LEN}` }, { ns: internet, dev: port });
  run('ip', ['-n', internet, 'link', 'set', port, 'master', BRIDGE]);
  wire({ ns: router, dev: LAN, address: `10.${i}.0.1/24` }, { ns: host, dev: 'eth0', address: `${hostAddress}/24` });
  run('ip', ['-n', host, 'route', 'add', 'default', 'via', `10.${i}.0.1`]);
  inNamespace(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  const rules = routerRuleset(spec);
  if (rules) inNamespace(router, 'nft', ['-f', '-'], rules);
  // Without NAT the homes' private ranges are routed through the internet namespace, as one big
  // LAN would route them (the lab profile): host candidates and STUN mappings are the hosts' own.
  if (spec.nat === 'none') {
    run('ip', ['-n', internet, 'route', 'replace', homeSubnet(i), 'via', wanAddress]);
    run('ip', ['-n', router, 'route', 'add', '10.0.0.0/8', 'via', ORIGIN_ADDRESS]);
  }
  shapeEgress(router, WAN, spec.uplinkMbit);
  shapeEgress(router, LAN, spec.downlinkMbit);
  return { ...spec, router, host, wanAddress, hostAddress };
}

/** Bytes the home's router sent up (WAN egress) and down (LAN egress) since it was made. */
export function homeBytes(home: Home): { up: number; down: number } {
  const tx = (dev: string): number => {
    const [link] = JSON.parse(run('ip', ['-n', home.router, '-s', '-j', 'link', 'show', 'dev', dev])) as Array<{ stats64?: { tx?: { bytes?: number } } }>;
    return Number(link?.stats64?.tx?.bytes ?? 0);
  };
  return { up: tx(WAN), down: tx(LAN) };
}
