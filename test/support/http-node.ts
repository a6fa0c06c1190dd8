// Node-RED's httpNode app on a server of its own. node-red-node-test-helper's server serves only
// the admin app, so specs of nodes with HTTP endpoints wrap the node module to catch RED.httpNode
// and serve it here, on 127.0.0.1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpNodeServer {
  /** Wraps a node module so that loading it records RED.httpNode. */
  capture(nodeModule: unknown): (red: unknown) => unknown;
  /** http://127.0.0.1:port, where httpNode answers. */
  base: string;
  stop(): Promise<void>;
}

export async function startHttpNodeServer(): Promise<HttpNodeServer> {
  let httpNode: http.RequestListener | undefined;
  const server = http.createServer((req, res) => {
    if (httpNode) httpNode(req, res);
    else {
      res.statusCode = 503;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    capture: (nodeModule) => (red) => {
      httpNode = (red as { httpNode: http.RequestListener }).httpNode;
      return (nodeModule as (red: unknown) => unknown)(red);
    },
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
    },
  };
}
