// A real HTTP server with a stand-in for Express's app (`use` + next()), so lib/http's dispatcher
// (and the routes on it) runs as on Node-RED's server without loading Node-RED: what no route
// answers falls through to a 404 that says so, and an error passed to next() is a 500 that says
// it came from "Express".
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Middleware } from '../../lib/http';

export interface AppServer {
  app: { use(handler: Middleware): void };
  server: http.Server;
  base: string;
  /** Requests that reached the app's own handlers (the Express path). */
  viaApp: number;
  close(): Promise<void>;
}

export async function appServer(): Promise<AppServer> {
  const handlers: Middleware[] = [];
  const result = {
    app: {
      use: (handler: Middleware) => {
        handlers.push(handler);
      },
    },
    viaApp: 0,
  } as AppServer;
  result.server = http.createServer((req, res) => {
    result.viaApp += 1;
    let index = 0;
    const next = (err?: unknown): void => {
      if (err) {
        res.statusCode = 500;
        res.end('express error\n');
        return;
      }
      const handler = handlers[index++];
      if (handler) handler(req, res, next);
      else {
        res.statusCode = 404;
        res.end('fell through\n');
      }
    };
    next();
  });
  await new Promise<void>((resolve) => result.server.listen(0, '127.0.0.1', resolve));
  result.base = `http://127.0.0.1:${(result.server.address() as AddressInfo).port}`;
  result.close = () => new Promise<void>((resolve) => result.server.close(() => resolve()));
  return result;
}
