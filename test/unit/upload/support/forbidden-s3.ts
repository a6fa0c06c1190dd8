/**
 * A tiny HTTP endpoint that answers every request like S3 does for a bad signature (403
 * SignatureDoesNotMatch). s3rver does not verify SigV4 signatures, so this is how tests see what a
 * real store does with wrong credentials.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startForbiddenS3(): Promise<{ endpoint: string; requests: number; stop(): Promise<void> }> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests += 1;
    req.resume();
    req.on('end', () => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
