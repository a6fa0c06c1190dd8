/**
 * Small pieces every Relaycast node shell uses to follow Node-RED's runtime rules.
 * Kept free of business logic: the shells map config and msgs onto lib/, nothing more.
 */
import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import { toRelaycastError } from '../../lib/errors';

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

/**
 * Registers an async input handler that can never leave a rejected promise (which would take the
 * whole Node-RED process down): any failure becomes done(err) with a `code`, so Catch nodes see it.
 * The listener keeps exactly three parameters, because the runtime counts `done` calls by arity.
 */
export function onInputAsync(
  node: Node,
  handler: (msg: NodeMessageInFlow, send: Send) => Promise<void>,
  onError?: (err: Error & { code: string }, msg: NodeMessageInFlow) => void,
): void {
  node.on('input', function (msg: NodeMessageInFlow, send: Send, done: Done) {
    handler(msg, send).then(
      () => done(),
      (err: unknown) => {
        const error = toRelaycastError(err);
        try { onError?.(error, msg); } catch { /* status reporting must never mask the original error */ }
        done(error);
      },
    );
  });
}

/**
 * Registers a close handler that gets Node-RED's `removed` flag and always calls done, even when
 * cleanup throws (the runtime swallows close errors silently, so they are logged here).
 */
export function onCloseAsync(node: Node, handler: (removed: boolean) => Promise<void> | void): void {
  node.on('close', function (removed: boolean, done: () => void) {
    Promise.resolve()
      .then(() => handler(removed))
      .catch((err: unknown) => node.warn(`close: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => done());
  });
}

/** Node-RED's httpNodeRoot with no trailing slash ('' for the default '/'); undefined under the test helper. */
export function httpNodeRoot(settings: { httpNodeRoot?: string | false }): string {
  const root = typeof settings.httpNodeRoot === 'string' ? settings.httpNodeRoot : '/';
  return root.endsWith('/') ? root.slice(0, -1) : root;
}
