// The most a swarm of homes can take off the origin. Every segment is fetched over HTTP at least
// once, so at most 1 − 1/N of the media played can come from peers (N viewers); and peers can only
// send what their uplinks carry: Σ usable uplinks ÷ (N × stream bitrate). The reachable ceiling is
// the same over the homes whose NAT lets them link at all: UDP blocked, or a symmetric NAT facing
// homes whose routers filter by address and port, gets no link. A home may hold several viewers
// (`perHome`): they share its one uplink. (Viewers inside one symmetric home could still link with
// each other on their LAN; the reachable ceiling leaves that out, so it errs low there.)
import type { HomeSpec } from '../../devtools/netlab';
import { peerShareCeiling } from './swarm-figures';

const uplinkBits = (h: HomeSpec): number => (h.uploadOff ? 0 : h.uplinkMbit === undefined ? Infinity : h.uplinkMbit * 1e6);

export function ceiling(homes: HomeSpec[], bitrate: number, perHome = 1): number {
  const n = homes.length * perHome;
  return Math.min(peerShareCeiling(n), homes.reduce((a, h) => a + uplinkBits(h), 0) / (n * bitrate));
}

/** Can this home link with others of the lab? (Every NAT'ed router filters by address and port.) */
export function linkable(h: HomeSpec): boolean {
  return !h.udpBlocked && h.nat !== 'symmetric';
}

export function reachableCeiling(homes: HomeSpec[], bitrate: number, perHome = 1): number {
  const n = homes.length * perHome;
  const reachable = homes.filter(linkable);
  if (reachable.length * perHome < 2) return 0;
  return Math.min((reachable.length * perHome - 1) / n, reachable.reduce((a, h) => a + uplinkBits(h), 0) / (n * bitrate));
}
