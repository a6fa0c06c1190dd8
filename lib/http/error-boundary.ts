/**
 * The error boundary every step of an HTTP request runs inside (lib/http/dispatcher.ts): a throw,
 * or an error a middleware passes to next(), is reported and answered 500, never a crash of the
 * Node-RED process.
 */
import type { ServerResponse } from 'node:http';

/** Runs `step`; a synchronous throw goes to `fail`. */
export function guarded(fail: (err: unknown) => void, step: () => void): void {
  try {
    step();
  } catch (err) {
    fail(err);
  }
}

/** Reports a failed request (to its route's owner) and answers 500, or drops the socket if a reply was under way. */
export function answerFailure(report: (err: unknown) => void, res: ServerResponse, err: unknown): void {
  try {
    report(err);
  } catch {
    /* reporting must not turn into a second failure */
  }
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('internal error\n');
}
