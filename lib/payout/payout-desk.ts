/**
 * What relaycast-payout does with a msg, and the queries its routes answer, over one Ledger. The
 * node shell only sends what comes back: a reply (output 1) and an audit event (output 2). A receipt
 * resolves once the ledger committed it, which is when the shell calls done().
 */
import { RelaycastError } from '../errors';
import { parseReceipt, publishedSegmentFromMsg } from './msg-input';
import { parseSettle, parseSupporter } from './requests';
import { statementsCsv } from './csv';
import type { Ledger } from './ledger';
import { UNTAGGED_NOTE, type RuleSettings } from './rules';
import type { AccountView, SupporterSummary } from './store';
import type { Statement } from './settlement';

/** A reply to the msg: its topic and payload, and fields to add beside them. */
export interface PayoutReply {
  topic: string;
  payload: unknown;
  extra?: Record<string, unknown>;
}

export interface PayoutOutcome {
  reply?: PayoutReply;
  audit?: Record<string, unknown>;
  /** The ledger's figures may have moved (the shell refreshes its status). */
  changed: boolean;
}

type PayoutMsg = { topic?: unknown; payload?: unknown; segment?: unknown };
type Handler = (msg: PayoutMsg) => Promise<PayoutOutcome>;

const TOPICS = 'receipt, settle, supporter, balance, statement, export';

function periodOf(payload: unknown): unknown {
  return (payload as { period?: unknown } | undefined)?.period;
}

export class PayoutDesk {
  /** Once per start: every receipt of a signaling node without network tags is in the same case. */
  private toldUntagged = false;
  private readonly handlers: Record<string, Handler> = {
    receipt: (msg) => this.receipt(msg),
    settle: async (msg) => {
      const { statement, replayed } = await this.ledger.settle(parseSettle(msg.payload));
      return { reply: { topic: 'statement', payload: statement, extra: { replayed } }, changed: true };
    },
    supporter: async (msg) => {
      await this.ledger.putSupporter(parseSupporter(msg.payload));
      return { changed: true };
    },
    balance: async (msg) => {
      const wanted = (msg.payload as { supporter?: unknown } | undefined)?.supporter;
      const accounts = await this.accounts();
      return { reply: { topic: 'balance', payload: typeof wanted === 'string' ? accounts.filter((a) => a.supporter === wanted) : accounts }, changed: false };
    },
    statement: async (msg) => {
      const period = periodOf(msg.payload);
      if (typeof period !== 'string') throw new RelaycastError('E_PAYOUT_INPUT', 'a statement query needs payload.period');
      const statement = await this.ledger.read((s) => s.statement(period));
      if (!statement) throw new RelaycastError('E_PAYOUT_UNKNOWN_PERIOD', `period ${period} has not been settled`);
      return { reply: { topic: 'statement', payload: statement, extra: { replayed: true } }, changed: false };
    },
    export: async (msg) => {
      const period = periodOf(msg.payload);
      const wanted = typeof period === 'string' ? period : undefined;
      const csv = await this.csv(wanted);
      return { reply: { topic: 'export', payload: csv, extra: { filename: `relaycast-payout-${wanted ?? 'all'}.csv` } }, changed: false };
    },
  };

  constructor(
    readonly ledger: Ledger,
    private readonly rules: RuleSettings,
  ) {}

  /** One input msg, routed by topic; a published segment (any topic) feeds the published-segment rule. */
  async handle(msg: PayoutMsg): Promise<PayoutOutcome> {
    const topic = typeof msg.topic === 'string' ? msg.topic : '';
    const handler = Object.hasOwn(this.handlers, topic) ? this.handlers[topic] : undefined;
    if (handler) return handler(msg);
    const segment = publishedSegmentFromMsg(msg);
    if (segment !== undefined) {
      // Only the published-segment rule needs them; otherwise a segment msg is simply not for us
      // (null: a master playlist msg, which carries no segment).
      if (segment && this.rules.segments === 'published') await this.ledger.publish(segment);
      return { changed: false };
    }
    throw new RelaycastError('E_PAYOUT_INPUT', `unknown topic '${topic}': expected ${TOPICS}`);
  }

  accounts(): Promise<AccountView[]> {
    return this.ledger.read((s) => s.accounts());
  }

  /** The operator's view: every account (payout addresses included) and every statement. */
  async operatorView(): Promise<{ accounts: AccountView[]; statements: Statement[] }> {
    const [accounts, statements] = await this.ledger.read((s) => Promise.all([s.accounts(), s.statements()]));
    return { accounts, statements };
  }

  /** The statements as CSV: all, or one period (E_PAYOUT_UNKNOWN_PERIOD when it was never settled). */
  async csv(period?: string): Promise<string> {
    const all = await this.ledger.read((s) => s.statements());
    const chosen = period === undefined ? all : all.filter((s) => s.period === period);
    if (period !== undefined && chosen.length === 0) throw new RelaycastError('E_PAYOUT_UNKNOWN_PERIOD', `period ${period} has not been settled`);
    return statementsCsv(chosen);
  }

  /** A supporter's own figures (no payout address, nobody else's), zeros for one the ledger has not met. */
  async summary(supporter: string): Promise<SupporterSummary> {
    const summary = await this.ledger.read((s) => s.summary(supporter));
    return summary ?? { supporter, name: supporter, currency: null, verifiedBytes: 0, unsettledBytes: 0, viewersHelped: 0, pending: 0, statements: [] };
  }

  private async receipt(msg: PayoutMsg): Promise<PayoutOutcome> {
    const decision = await this.ledger.submit(parseReceipt(msg.payload));
    if (decision.status === 'refused') {
      return { audit: { kind: 'receipt', code: decision.code, reason: decision.reason, receipt: msg.payload }, changed: true };
    }
    if (decision.untagged && !this.toldUntagged) {
      this.toldUntagged = true;
      return {
        audit: { kind: 'notice', code: 'UNTAGGED', reason: `${UNTAGGED_NOTE}; each downloader connection counts as its own network`, receipt: msg.payload },
        changed: true,
      };
    }
    return { changed: true };
  }
}
