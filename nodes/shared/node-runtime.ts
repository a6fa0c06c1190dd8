/**
 * Small pieces every Relaycast node shell uses to follow Node-RED's runtime rules.
 * Kept free of business logic: the shells map config and msgs onto lib/, nothing more.
 */
import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import { toRelaycastError, type RelaycastError } from '../../lib/errors';

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
        try {
          onError?.(error, msg);
        } catch {
          /* status reporting must never mask the original error */
        }
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

/**
 * The one way a node that cannot start behaves, whatever stopped it (a bad number, a missing config
 * node, a taken path, a ledger that will not open). Each node used to do this its own way; an
 * operator and a Catch node now see the same thing from every node:
 * - said once, at deploy: node.error (the log and the editor's debug tab) and a red ring;
 * - every msg that still arrives ends in done(err) with the same coded error, so a flow can branch on
 *   `msg.error.code` and nothing is dropped in silence.
 * `log` and `status` keep a node's own catalog texts; by default the error and its code are shown.
 * The caller still registers its close handler for whatever it had acquired before failing.
 */
export function refuseToStart(node: Node, err: unknown, how: { code: string; status?: string; log?: string }): RelaycastError {
  const error = toRelaycastError(err, how.code);
  node.error(how.log ?? error);
  node.status({ fill: 'red', shape: 'ring', text: how.status ?? error.code });
  onInputAsync(node, async () => {
    throw error;
  });
  return error;
}
