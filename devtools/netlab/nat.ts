// A home router's nftables ruleset. As a real home router: the LAN may go out, the internet gets
// in only as a reply (established/related), and the LAN is masqueraded behind the WAN address.
// Without that inbound drop, hole punching would succeed where a real home's would not.
import type { HomeSpec } from './home-spec';

export const WAN = 'wan';
export const LAN = 'lan';

export function routerRuleset(home: HomeSpec): string {
  if (home.nat === 'none') {
    // The lab profile: a plain router, so the lab reproduces loopback.
    return home.udpBlocked
      ? `table inet home {\n chain forward { type filter hook forward priority filter; policy accept;\n  meta l4proto udp drop\n }\n}\n`
      : '';
  }
  // plain masquerade keeps the source port (endpoint-independent mapping); fully-random draws a new
  // port for every new flow, so each destination sees another mapping (symmetric NAT).
  const masquerade = home.nat === 'symmetric' ? 'masquerade fully-random' : 'masquerade';
  return `table inet home {
 chain forward {
  type filter hook forward priority filter; policy drop;
  ct state established,related accept
  ${home.udpBlocked ? 'meta l4proto udp drop' : ''}
  iifname "${LAN}" oifname "${WAN}" accept
 }
 chain input {
  type filter hook input priority filter; policy drop;
  ct state established,related accept
  iifname { "lo", "${LAN}" } accept
 }
 chain postrouting {
  type nat hook postrouting priority srcnat;
  oifname "${WAN}" ${masquerade}
 }
}
`;
}
