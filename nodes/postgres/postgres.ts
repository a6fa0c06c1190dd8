/**
 * relaycast-postgres: the configuration node for one PostgreSQL database. It owns ONE pg Pool
 * shared by every node that uses it, created on the first register() and ended when the last user
 * deregisters (the pattern of core's MQTT broker node). The password lives only in Node-RED's
 * credential store.
 *
 * Client library: `pg` (node-postgres), pure JavaScript, so the same install runs on Node 20 and
 * Node 22 (a native addon built for one major does not load under the other).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Pool } from 'pg';
import { pgPool } from '../../lib/postgres/client';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { resolvePostgresSettings, type PostgresConfigInput, type PostgresCredentials, type PostgresSettings } from '../../lib/postgres/settings';
import type { PostgresConfigNode } from './postgres-api';
import { registerNodeType } from '../shared/node-types';

interface PostgresDef extends NodeDef, PostgresConfigInput {}

/** How long closing waits for its users to finish their last writes before ending the pool anyway. */
const CLOSE_WAIT_MS = 10_000;

export = function (RED: NodeAPI) {
  function PostgresNode(this: PostgresConfigNode & Node<PostgresCredentials>, config: PostgresDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Set<Node>();
    let settings: PostgresSettings | undefined;
    let settingsError: RelaycastError | undefined;
    let pool: Pool | undefined;
    let lastUserLeft: (() => void) | undefined;

    try {
      settings = resolvePostgresSettings(config, node.credentials ?? {});
    } catch (err) {
      settingsError = toRelaycastError(err, 'E_PG_CONFIG');
    }

    const endPool = async (): Promise<void> => {
      const ending = pool;
      pool = undefined;
      if (ending) await ending.end().catch((err: unknown) => node.warn(`relaycast-postgres: closing the pool: ${(err as Error).message}`));
    };

    node.register = (user: Node) => {
      if (!settings) throw settingsError ?? new RelaycastError('E_PG_CONFIG', 'invalid PostgreSQL configuration');
      users.add(user);
      if (!pool) {
        const PgPool = pgPool();
        pool = new PgPool(settings.pool);
        // An idle connection that breaks (server restart, network) emits 'error' on the pool; unheard,
        // that event would end the Node-RED process. The next query opens a new connection.
        pool.on('error', (err) => node.warn(`relaycast-postgres ${settings?.label}: ${err.message}`));
      }
      return { pool, tables: settings.tables, label: settings.label };
    };

    node.deregister = async (user: Node) => {
      users.delete(user);
      if (users.size > 0) return;
      lastUserLeft?.();
      await endPool();
    };

    Object.defineProperty(node, 'userCount', { get: () => users.size });
    Object.defineProperty(node, 'hasPool', { get: () => pool !== undefined });

    node.on('close', function (done: () => void) {
      // Node-RED closes all nodes at once: let the users flush their last writes through the pool
      // (they deregister in their own close handlers) before it is ended.
      const waitForUsers =
        users.size === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, CLOSE_WAIT_MS);
              lastUserLeft = () => {
                clearTimeout(timer);
                resolve();
              };
            });
      const finish = (): void => {
        users.clear();
        done();
      };
      waitForUsers.then(endPool).then(finish, finish);
    });
  }

  registerNodeType(RED, 'relaycast-postgres', PostgresNode, {
    credentials: {
      password: { type: 'password' },
    },
  });
};
