/**
 * Ports free right now: taken and released at once, so nothing listens on them yet. Used where a
 * port must be named before its server starts: the ingest's ffmpeg told where to listen, Node-RED's
 * uiPort in specs, a port that must refuse connections. Another process may take it in between;
 * whoever binds it then fails with EADDRINUSE rather than sharing it.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** A TCP port free on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A UDP port free on every IPv4 and IPv6 address (a STUN responder, the ingest's SRT ffmpeg). */
export async function freeUdpPort(): Promise<number> {
  const bind = (type: 'udp4' | 'udp6', port: number, address: string) =>
    new Promise<dgram.Socket>((resolve, reject) => {
      const socket = dgram.createSocket(type === 'udp6' ? { type, ipv6Only: true } : { type });
      socket.once('error', reject);
      socket.bind(port, address, () => resolve(socket));
    });
  for (;;) {
    const v4 = await bind('udp4', 0, '0.0.0.0');
    const port = v4.address().port;
    const v6 = await bind('udp6', port, '::').catch(() => undefined);
    v4.close();
    if (v6) {
      v6.close();
      return port;
    }
  }
}
