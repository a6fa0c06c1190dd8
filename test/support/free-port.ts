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
