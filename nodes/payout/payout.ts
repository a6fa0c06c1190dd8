/**
 * relaycast-payout: the verified-bandwidth ledger and reward statements. A thin shell over
 * lib/payout: it maps msgs by topic onto the ledger, calls done() for a receipt only once the
 * ledger committed it, and serves the supporter summary and the operator's admin view.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { parseReceipt, publishedSegmentFromMsg } from '../../lib/payout/msg-input';
import { parseSettle, parseSupporter } from '../../lib/payout/requests';
import { statementsCsv } from '../../lib/payout/csv';
import { Ledger } from '../../lib/payout/ledger';
import { UNTAGGED_NOTE } from '../../lib/payout/rules';
import { PostgresLedgerStore } from '../../lib/payout/postgres-store';
import { SqliteLedgerStore } from '../../lib/payout/sqlite-store';
import { sqliteEngine } from '../../lib/payout/sqlite-driver';
import type { LedgerStore } from '../../lib/payout/store';
import { parseSupporterTokens, tokenListVerifier } from '../../lib/signaling/supporters';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { httpNodeRoot, onCloseAsync, onInputAsync } from '../shared/node-runtime';
import { nodeRef, telemetryOf } from '../shared/telemetry';
import {
  batchMsFromConfig, ledgerPath, rulesFromConfig, summaryPathFromConfig, thresholdFromConfig,
  type PayoutConfig, type PayoutCredentials,
} from './config';
import { serveSummary, type TokenCheck } from './summary-route';
import type { PostgresConfigNode } from '../postgres/postgres-api';

type PayoutNodeDef = NodeDef & PayoutConfig;
type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;

interface AdminRequest { params: { id: string } }
interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
  type(t: string): AdminResponse;
  set(name: string, value: string): AdminResponse;
  send(body: string): void;
}

const STATUS_REFRESH_MS = 1000;

export = function (RED: NodeAPI) {
  /** Ledgers (files, or PostgreSQL tables) open in this runtime: one node per ledger and runtime. */
  const filesInUse = new Map<string, string>();
  const ledgers = new Map<string, Ledger>();

  // The operator's view (everything, payout addresses included), from the editor only.
  const admin = RED.httpAdmin as unknown as { get(path: string, ...handlers: unknown[]): void };
  const withLedger = (req: AdminRequest, res: AdminResponse, fn: (ledger: Ledger) => Promise<void>): void => {
    const ledger = ledgers.get(req.params.id);
    if (!ledger) { res.status(404).json({ error: 'no running relaycast-payout node with this id' }); return; }
    fn(ledger).catch((err: unknown) => res.status(503).json({ error: toRelaycastError(err).message }));
  };
  admin.get('/relaycast-payout/:id/accounts', RED.auth.needsPermission('relaycast-payout.read'), (req: AdminRequest, res: AdminResponse) =>
    withLedger(req, res, async (ledger) => {
      const [accounts, statements] = await ledger.read((s) => Promise.all([s.accounts(), s.statements()]));
      res.json({ accounts, statements });
    }));
  admin.get('/relaycast-payout/:id/export.csv', RED.auth.needsPermission('relaycast-payout.read'), (req: AdminRequest, res: AdminResponse) =>
    withLedger(req, res, async (ledger) => {
      const csv = statementsCsv(await ledger.read((s) => s.statements()));
      res.type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="relaycast-payout.csv"').send(csv);
    }));

  function PayoutNode(this: Node<PayoutCredentials>, config: PayoutNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = RED.settings as unknown as { userDir?: string; httpNodeRoot?: string | false };

    const refuseInput = (code: string, message: string): void => {
      onInputAsync(node, async () => { throw new RelaycastError(code, message); });
    };

    let ledger: Ledger;
    let file: string;
    let rules: ReturnType<typeof rulesFromConfig>;
    // With a relaycast-postgres config node the ledger is its tables (shared with other instances);
    // without one, the SQLite file in the userDir, exactly as before.
    const postgres = config.postgres ? (RED.nodes.getNode(config.postgres) as PostgresConfigNode | null) : undefined;
    let registered = false;
    try {
      rules = rulesFromConfig(config);
      // Read before the store opens: a bad number must not leave a ledger file or pool connection open.
      const options = { rules, threshold: thresholdFromConfig(config), batchMs: batchMsFromConfig(config) };
      let open: () => LedgerStore;
      if (postgres === null) throw new RelaycastError('E_PAYOUT_CONFIG', RED._('payout.errors.noPostgres'));
      if (postgres) {
        const connection = postgres.register(node);
        registered = true;
        file = `postgres ${connection.label} ${connection.tables.schema}.${connection.tables.prefix}*`;
        open = () => new PostgresLedgerStore(connection.pool, connection.tables);
      } else {
        file = ledgerPath(config, settings.userDir);
        open = () => new SqliteLedgerStore(file);
      }
      if (filesInUse.has(file)) throw new RelaycastError('E_PAYOUT_CONFIG', `another relaycast-payout node already uses the ledger ${file}`);
      ledger = new Ledger(open(), options);
    } catch (err) {
      const error = toRelaycastError(err, 'E_PAYOUT_CONFIG');
      if (registered) postgres?.deregister(node).catch(() => undefined);
      node.error(RED._('payout.errors.start', { message: error.message }));
      node.status({ fill: 'red', shape: 'ring', text: error.code === 'E_PAYOUT_STORE' ? 'payout.status.storeError' : 'payout.status.config' });
      refuseInput(error.code, error.message);
      return;
    }
    filesInUse.set(file, node.id);
    ledgers.set(node.id, ledger);
    const telemetry = telemetryOf(RED);
    const probe = telemetry.payout(nodeRef(node, 'relaycast-payout'));
    node.log(RED._('payout.log.opened', { file, engine: postgres ? 'pg' : sqliteEngine() }));

    let dirty = true;
    let failed = false;
    let toldUntagged = false;

    const audit = (send: Send, payload: Record<string, unknown>): void => send([null, { topic: 'audit', payload }]);
    const storeFailed = (err: unknown): void => {
      if (toRelaycastError(err).code !== 'E_PAYOUT_STORE') return;
      failed = true;
      node.status({ fill: 'red', shape: 'ring', text: 'payout.status.storeError' });
    };

    async function onReceipt(msg: NodeMessageInFlow, send: Send): Promise<void> {
      const receipt = parseReceipt(msg.payload);
      const decision = await ledger.submit(receipt);
      dirty = true;
      if (decision.status === 'refused') {
        audit(send, { kind: 'receipt', code: decision.code, reason: decision.reason, receipt: msg.payload });
      } else if (decision.untagged && !toldUntagged) {
        // Once per start: every receipt of a signaling node without network tags is in the same case.
        toldUntagged = true;
        audit(send, { kind: 'notice', code: 'UNTAGGED', reason: `${UNTAGGED_NOTE}; each downloader connection counts as its own network`, receipt: msg.payload });
      }
    }

    async function reply(msg: NodeMessageInFlow, send: Send, topic: string, payload: unknown, extra: Record<string, unknown> = {}): Promise<void> {
      send([{ ...msg, ...extra, topic, payload } as NodeMessage, null]);
    }

    const handlers: Record<string, (msg: NodeMessageInFlow, send: Send) => Promise<void>> = {
      receipt: onReceipt,
      async settle(msg, send) {
        const { statement, replayed } = await ledger.settle(parseSettle(msg.payload));
        dirty = true;
        await reply(msg, send, 'statement', statement, { replayed });
      },
      async supporter(msg) {
        await ledger.putSupporter(parseSupporter(msg.payload));
        dirty = true;
      },
      async balance(msg, send) {
        const wanted = (msg.payload as { supporter?: unknown } | undefined)?.supporter;
        const accounts = await ledger.read((s) => s.accounts());
        await reply(msg, send, 'balance', typeof wanted === 'string' ? accounts.filter((a) => a.supporter === wanted) : accounts);
      },
      async statement(msg, send) {
        const period = (msg.payload as { period?: unknown } | undefined)?.period;
        if (typeof period !== 'string') throw new RelaycastError('E_PAYOUT_INPUT', 'a statement query needs payload.period');
        const statement = await ledger.read((s) => s.statement(period));
        if (!statement) throw new RelaycastError('E_PAYOUT_UNKNOWN_PERIOD', `period ${period} has not been settled`);
        await reply(msg, send, 'statement', statement, { replayed: true });
      },
      async export(msg, send) {
        const period = (msg.payload as { period?: unknown } | undefined)?.period;
        const all = await ledger.read((s) => s.statements());
        const chosen = typeof period === 'string' ? all.filter((s) => s.period === period) : all;
        if (typeof period === 'string' && chosen.length === 0) throw new RelaycastError('E_PAYOUT_UNKNOWN_PERIOD', `period ${period} has not been settled`);
        await reply(msg, send, 'export', statementsCsv(chosen), { filename: `relaycast-payout-${typeof period === 'string' ? period : 'all'}.csv` });
      },
    };

    onInputAsync(node, async (msg, send) => {
      const topic = typeof msg.topic === 'string' ? msg.topic : '';
      const handler = handlers[topic];
      if (handler) {
        try { await handler(msg, send); } catch (err) { storeFailed(err); throw err; }
        return;
      }
      const segment = publishedSegmentFromMsg(msg as { topic?: unknown; segment?: unknown });
      if (segment !== undefined) {
        // Only the published-segment rule needs them; otherwise a segment msg is simply not for us.
        if (segment && rules.segments === 'published') await ledger.publish(segment);
        return;
      }
      throw new RelaycastError('E_PAYOUT_INPUT', `unknown topic '${topic}': expected receipt, settle, supporter, balance, statement or export`);
    }, (err) => {
      if (err.code !== 'E_PAYOUT_STORE') node.status({ fill: 'red', shape: 'ring', text: 'payout.status.badInput' });
      dirty = true; // the counts come back at the next refresh
    });

    // Supporter tokens: this node's own list, else the list of the signaling node it names.
    let removeSummary: (() => void) | undefined;
    try {
      const summaryPath = summaryPathFromConfig(config);
      const own = node.credentials?.supporterTokens;
      const fromSignaling = config.signaling ? (RED.nodes.getCredentials(config.signaling) as { supporterTokens?: string } | undefined)?.supporterTokens : undefined;
      const verifier = tokenListVerifier(parseSupporterTokens(own || fromSignaling));
      const verify: TokenCheck = async (token) => (await verifier(token, { stream: '', rendition: '' })) ?? null;
      if (summaryPath !== '' && settings.httpNodeRoot !== false) {
        removeSummary = serveSummary(RED.httpNode, settings as Record<string, unknown>, (RED as unknown as { server?: unknown }).server, {
          nodeId: node.id, path: summaryPath, verify, summary: (supporter) => ledger.read((s) => s.summary(supporter)),
          failed: (err) => node.error(err instanceof Error ? err.message : String(err)),
        });
        node.log(RED._('payout.log.summary', { path: httpNodeRoot(settings) + summaryPath }));
      }
    } catch (err) {
      // The ledger works without the page; say why there is none.
      node.warn(RED._('payout.errors.summary', { message: err instanceof Error ? err.message : String(err) }));
    }

    const refresh = (): void => {
      if (!dirty) return;
      dirty = false;
      ledger.read((s) => s.accounts()).then((accounts) => {
        failed = false;
        probe.accounts(accounts);
        const pending = accounts.reduce((sum, a) => sum + a.pending, 0);
        node.status({ fill: 'green', shape: 'dot', text: RED._('payout.status.counts', { supporters: accounts.length, pending }) });
      }, (err: unknown) => {
        if (toRelaycastError(err).code === 'E_PAYOUT_CLOSED') return;
        storeFailed(err);
        if (!failed) node.status({ fill: 'red', shape: 'ring', text: 'payout.status.storeError' });
      });
    };
    const statusTimer = setInterval(refresh, STATUS_REFRESH_MS);
    refresh();

    onCloseAsync(node, async () => {
      clearInterval(statusTimer);
      telemetry.remove(node.id, probe);
      removeSummary?.();
      ledgers.delete(node.id);
      try {
        await ledger.close(); // flushes queued receipts; SQLite: checkpoints the WAL and closes the file
      } finally {
        if (filesInUse.get(file) === node.id) filesInUse.delete(file);
        if (postgres) await postgres.deregister(node); // the last user ends the shared pool
        node.status({});
      }
    });
  }

  RED.nodes.registerType('relaycast-payout', PayoutNode, {
    credentials: { supporterTokens: { type: 'password' } },
  } as never);
};
