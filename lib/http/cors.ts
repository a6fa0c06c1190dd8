/**
 * Applies Node-RED's `httpNodeCors` setting exactly as core HTTP In does: core hands the setting to
 * the `cors` package, so this does too. Any form core accepts therefore works here (an options
 * object with a string, RegExp, array, boolean or callback `origin`, or an options callback), and a
 * browser sees the same CORS headers from a playlist as from an HTTP In route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

export type CorsSettings = cors.CorsOptions | cors.CorsOptionsDelegate<cors.CorsRequest>;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export function corsMiddleware(settings: CorsSettings): Middleware {
  return cors(settings as cors.CorsOptions) as unknown as Middleware;
}
