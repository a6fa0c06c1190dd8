/**
 * relaycast-payout: the verified-bandwidth ledger and reward statements. A thin shell over
 * lib/payout: it opens the ledger where the config says, hands each msg to the PayoutDesk and sends
 * what comes back (done() for a receipt only once the ledger committed it), and serves the supporter
 * summary and the operator's admin view from the desk's queries.
 */
import type { Request, Response } from 'express';
import type { Node, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { ledgerEngine, ledgerName, openLedger, PayoutDesk, type LedgerPlace, type PayoutOutcome } from '../../lib/payout';
import { SupporterTokenList, type SupporterVerifier } from '../../lib/signaling/supporters';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import type { HttpSettings } from '../../lib/http';
import { httpNodeRoot, onCloseAsync, onInputAsync, refuseToStart } from '../shared/node-runtime';
import { registerNodeType, type RelaycastRED } from '../shared/node-types';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import {
  batchMsFromConfig,
  ledgerPath,
  rulesFromConfig,
  summaryPathFromConfig,
  thresholdFromConfig,
  type PayoutConfig,
  type PayoutCredentials,
} from './config';
import { serveSummary } from './summary-route';
import { serveInvites, type InviteSource } from './invite-route';
import type { PostgresConfigNode } from '../postgres/postgres-api';
import type { RedisConfigNode } from '../redis/redis-api';
import { SUMMARY_RATE } from '../../lib/payout/summary-door';
import { parseTrustedProxies } from '../../lib/signaling/client-address';
import { RedisSourceLimiter } from '../../lib/signaling/redis-source-limiter';
import { LocalSourceLimiter, type SourceLimiter } from '../../lib/signaling/source-limiter';
import type { SignalingNodeApi } from '../signaling/signaling-api';

type PayoutNodeDef = NodeDef & PayoutConfig;
type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;

const STATUS_REFRESH_MS = 1000;
const CONFIG_CODE = 'E_PAYOUT_CONFIG';

export = function (RED: RelaycastRED<HttpSettings>) {
  /** Ledgers (files, or PostgreSQL tables) open in this runtime: one node per ledger and runtime. */
  const ledgersInUse = new Map<string, string>();
  const desks = new Map<string, PayoutDesk>();

  // The operator's view (everything, payout addresses included), from the editor only.
  const withDesk = (req: Request, res: Response, fn: (desk: PayoutDesk) => Promise<void>): void => {
    const desk = desks.get(String(req.params.id));
    if (!desk) {
      res.status(404).json({ error: 'no running relaycast-payout node with this id' });
      return;
    }
    fn(desk).catch((err: unknown) => res.status(503).json({ error: toRelaycastError(err).message }));
  };
  RED.httpAdmin.get('/relaycast-payout/:id/accounts', RED.auth.needsPermission('relaycast-payout.read'), (req: Request, res: Response) =>
    withDesk(req, res, async (desk) => {
      res.json(await desk.operatorView());
    }),
  );
  RED.httpAdmin.get('/relaycast-payout/:id/export.csv', RED.auth.needsPermission('relaycast-payout.read'), (req: Request, res: Response) =>
    withDesk(req, res, async (desk) => {
      const csv = await desk.csv();
      res.type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="relaycast-payout.csv"').send(csv);
    }),
  );

  // The editor's "Invite a supporter" (invite-route.ts): issues a token through the signaling node a payout names.
  const inviteSources = new Map<string, InviteSource>();
  serveInvites(RED, inviteSources);

  function PayoutNode(this: Node<PayoutCredentials>, config: PayoutNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = RED.settings;

    // With a relaycast-postgres config node the ledger is its tables (shared with other instances);
    // without one, the SQLite file in the userDir.
    const postgres = config.postgres ? (RED.nodes.getNode(config.postgres) as PostgresConfigNode | null) : undefined;
    let registered = false;
    let desk: PayoutDesk;
    let name: string;
    let place: LedgerPlace;
    try {
      const rules = rulesFromConfig(config);
      // Read before the store opens: a bad number must not leave a ledger file or pool connection open.
      const options = { rules, threshold: thresholdFromConfig(config), batchMs: batchMsFromConfig(config) };
      if (postgres === null) throw new RelaycastError(CONFIG_CODE, RED._('payout.errors.noPostgres'));
      if (postgres) {
        place = { kind: 'postgres', ...postgres.register(node) };
        registered = true;
      } else {
        place = { kind: 'sqlite', file: ledgerPath(config, settings.userDir) };
      }
      name = ledgerName(place);
      if (ledgersInUse.has(name)) throw new RelaycastError(CONFIG_CODE, `another relaycast-payout node already uses the ledger ${name}`);
      desk = new PayoutDesk(openLedger(place, options), rules);
    } catch (err) {
      const error = toRelaycastError(err, CONFIG_CODE);
      if (registered) postgres?.deregister(node).catch(() => undefined);
      refuseToStart(node, error, {
        code: CONFIG_CODE,
        status: error.code === 'E_PAYOUT_STORE' ? 'payout.status.storeError' : 'payout.status.config',
        log: RED._('payout.errors.start', { message: error.message }),
      });
      return;
    }
    ledgersInUse.set(name, node.id);
    desks.set(node.id, desk);
    const telemetry = telemetryOf(RED);
    const probe = telemetry.payout(nodeRef(node, 'relaycast-payout'));
    node.log(RED._('payout.log.opened', { file: name, engine: ledgerEngine(place) }));

    let dirty = true;
    let failed = false;
    const storeFailed = (err: unknown): void => {
      if (toRelaycastError(err).code !== 'E_PAYOUT_STORE') return;
      failed = true;
      node.status({ fill: 'red', shape: 'ring', text: 'payout.status.storeError' });
    };

    const sendOutcome = (msg: NodeMessageInFlow, send: Send, outcome: PayoutOutcome): void => {
      if (outcome.audit) send([null, { topic: 'audit', payload: outcome.audit }]);
      if (outcome.reply) {
        const { topic, payload, extra } = outcome.reply;
        send([{ ...msg, ...extra, topic, payload }, null]);
      }
    };

    onInputAsync(
      node,
      async (msg, send) => {
        let outcome: PayoutOutcome;
        try {
          outcome = await desk.handle(msg);
        } catch (err) {
          storeFailed(err);
          throw err;
        }
        if (outcome.changed) dirty = true;
        sendOutcome(msg, send, outcome);
      },
      (err) => {
        if (err.code !== 'E_PAYOUT_STORE') node.status({ fill: 'red', shape: 'ring', text: 'payout.status.badInput' });
        dirty = true; // the counts come back at the next refresh
      },
    );

    // Supporter tokens: this node's own list, else the check of the signaling node it names, asked
    // through that node's API (signaling-api.ts) at each request, whichever node started first.
    let removeSummary: (() => void) | undefined;
    /** With a relaycast-redis config: where the summary's per-source buckets live, shared with other instances. */
    let limiterRedis: RedisConfigNode | undefined;
    try {
      const summaryPath = summaryPathFromConfig(config);
      const own = node.credentials?.supporterTokens;
      const ownList = own ? new SupporterTokenList(own) : undefined;
      const signalingCheck = (): SupporterVerifier | undefined =>
        config.signaling ? (RED.nodes.getNode(config.signaling) as SignalingNodeApi | null)?.verifySupporter : undefined;
      const verify = async (token: string): Promise<string | null> => {
        const check = ownList?.verify ?? signalingCheck();
        return check ? ((await check(token, { stream: '', rendition: '' })) ?? null) : null;
      };
      const serving = summaryPath !== '' && settings.httpNodeRoot !== false;
      inviteSources.set(node.id, { signalingId: config.signaling ?? '', summaryPath: serving ? httpNodeRoot(settings) + summaryPath : '', ownList });
      if (serving) {
        const trustedProxies = parseTrustedProxies(config.trustedProxies);
        const limiter = summaryLimiter(config.redis, httpNodeRoot(settings) + summaryPath);
        removeSummary = serveSummary(RED.httpNode, settings, RED.server, {
          nodeId: node.id,
          path: summaryPath,
          trustedProxies,
          limiter,
          verify,
          summary: (supporter) => desk.summary(supporter),
          failed: (err) => node.error(err instanceof Error ? err.message : String(err)),
        });
        node.log(RED._('payout.log.summary', { path: httpNodeRoot(settings) + summaryPath }));
      }
    } catch (err) {
      // The ledger works without the page; say why there is none.
      node.warn(RED._('payout.errors.summary', { message: err instanceof Error ? err.message : String(err) }));
    }

    /** The summary's per-source limiter: in Redis (keyed by the route's full path) when a relaycast-redis is chosen. */
    function summaryLimiter(redisId: string | undefined, fullPath: string): SourceLimiter {
      if (!redisId) return new LocalSourceLimiter(SUMMARY_RATE);
      const configNode = RED.nodes.getNode(redisId) as RedisConfigNode | null;
      if (!configNode || typeof configNode.register !== 'function')
        throw new RelaycastError(CONFIG_CODE, 'the selected relaycast-redis configuration does not exist');
      const pair = configNode.register(node);
      limiterRedis = configNode;
      return new RedisSourceLimiter(pair, { namespace: `payout-summary:${fullPath}`, config: SUMMARY_RATE });
    }

    const refresh = (): void => {
      if (!dirty) return;
      dirty = false;
      desk.accounts().then(
        (accounts) => {
          failed = false;
          probe.accounts(accounts);
          const pending = accounts.reduce((sum, a) => sum + a.pending, 0);
          node.status({ fill: 'green', shape: 'dot', text: RED._('payout.status.counts', { supporters: accounts.length, pending }) });
        },
        (err: unknown) => {
          if (toRelaycastError(err).code === 'E_PAYOUT_CLOSED') return;
          storeFailed(err);
          if (!failed) node.status({ fill: 'red', shape: 'ring', text: 'payout.status.storeError' });
        },
      );
    };
    const statusTimer = setInterval(refresh, STATUS_REFRESH_MS);
    refresh();

    onCloseAsync(node, async () => {
      clearInterval(statusTimer);
      telemetry.remove(node.id, probe);
      removeSummary?.();
      await limiterRedis?.deregister(node);
      desks.delete(node.id);
      inviteSources.delete(node.id);
      try {
        await desk.ledger.close(); // flushes queued receipts; SQLite: checkpoints the WAL and closes the file
      } finally {
        if (ledgersInUse.get(name) === node.id) ledgersInUse.delete(name);
        if (postgres) await postgres.deregister(node); // the last user ends the shared pool
        node.status({});
      }
    });
  }

  registerNodeType(RED, 'relaycast-payout', PayoutNode, {
    credentials: { supporterTokens: { type: 'password' } },
  });
};
