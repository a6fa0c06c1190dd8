// What one home is: how its router translates and filters, what its line carries, and whether
// its viewer uploads. A profile (profile.ts) expands into one of these per viewer.

/**
 * none: routed, no NAT, no firewall (the `lab` profile). endpoint-independent: plain masquerade,
 * which keeps the source port, so one mapping serves every destination (what STUN hole punching
 * needs). symmetric: a fresh random port per destination (address-and-port-dependent mapping).
 */
export type NatKind = 'none' | 'endpoint-independent' | 'symmetric';

export interface HomeSpec {
  /** 1-based; names the home's namespaces and addresses. */
  index: number;
  nat: NatKind;
  /** The router drops all UDP (no WebRTC at all): the viewer must play over HTTP. */
  udpBlocked: boolean;
  /** Line rates in Mb/s; undefined = uncapped. */
  uplinkMbit?: number;
  downlinkMbit?: number;
  /** The viewer never uploads (metered or phone). Not a network property: the page is told. */
  uploadOff: boolean;
}

export function describeHome(h: HomeSpec): string {
  const line = h.uplinkMbit === undefined ? 'uncapped' : `${h.uplinkMbit}↑/${h.downlinkMbit ?? '∞'}↓ Mb/s`;
  return `home ${h.index}: ${h.nat}${h.udpBlocked ? ', UDP blocked' : ''}, ${line}${h.uploadOff ? ', upload off' : ''}`;
}
