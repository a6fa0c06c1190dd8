// A port free right now on 127.0.0.1: taken and released at once, so nothing listens on it (a
// server that needs a fixed port, like Node-RED's uiPort, or a port that must refuse connections).
import net from 'node:net';

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

/** A UDP port free right now on 127.0.0.1 and ::1 (for a STUN responder), taken and released at once. */
export async function freeUdpPort(): Promise<number> {
  const dgram = await import('node:dgram');
  const bind = (type: 'udp4' | 'udp6', port: number, address: string) =>
    new Promise<import('node:dgram').Socket>((resolve, reject) => {
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
