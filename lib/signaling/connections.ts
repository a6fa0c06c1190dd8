/**
 * Connections: admission at the upgrade, the per-connection and per-source budgets, sending (with
 * the slow-consumer bound), closing, and the deadlines that evict silent connections. What happens
 * to a connection's swarm membership when it goes is the coordinator's (the `leave` hook).
 */
import { sourceOf } from './addresses';
import type { SignalingLimits } from './limits';
import type { NetworkTagger } from './network-tags';
import { CLOSE_CODES, type SignalErrorCode } from './protocol';
import { newBucket, takeToken } from './rate-limiter';
import { RefusalAudit } from './refusal-audit';
import type { AuditEvent, Session, Transport } from './session';
import { SourceBudgets } from './source-budgets';
import { ViolationPolicy } from './violations';
import { encodeServerFrame } from '../protocol';

export interface ConnectionHooks {
  /** The session leaves its swarm (it closed, or is being closed): drop it from the swarm now. */
  leave(session: Session, reason: string): void;
  /** Every sweep, on each live session: per-connection deadlines other than liveness (held receipts). */
  deadlines(session: Session, now: number): void;
  /** Every heartbeat, on each live session: expiry of relay state. */
  heartbeat(session: Session, now: number): void;
}

export type Admission = { ok: true } | { ok: false; status: 403 | 429 | 503; reason: string };

/** Deadlines are checked once a second: the join timeout then holds to 10–11 s, not 10–25 s. */
export const SWEEP_MS = 1000;

export class Connections {
  readonly sessions = new Set<Session>();
  readonly sources: SourceBudgets;
  readonly violations: ViolationPolicy;
  private closing = false;
  private lastHeartbeatAt: number;
  private readonly refusals = new RefusalAudit();
  hooks: ConnectionHooks = { leave: () => {}, deadlines: () => {}, heartbeat: () => {} };

  constructor(
    private readonly limits: SignalingLimits,
    private readonly tagger: NetworkTagger,
    private readonly now: () => number,
    private readonly audit: (event: AuditEvent) => void,
  ) {
    this.sources = new SourceBudgets(limits);
    this.violations = new ViolationPolicy(
      limits,
      this.sources,
      {
        error: (session, code, message) => this.error(session, code, message),
        close: (session, code, reason) => this.close(session, code, reason),
        audit,
      },
      now,
    );
    this.lastHeartbeatAt = now();
  }

  /** A client's source: its address by the configured prefix (IPv4 /32, IPv6 /64 by default). */
  sourceOf(ip: string): string {
    return sourceOf(ip, this.limits);
  }

  /**
   * Upgrade-time admission: origin allow-list, then the source's budgets (attempts, violation debt,
   * connections). Every attempt past the origin check is charged to the source.
   */
  admit(ip: string, origin: string | undefined): Admission {
    if (this.closing) return { ok: false, status: 503, reason: 'closing' };
    const allowed = this.limits.allowedOrigins;
    if (allowed.length > 0 && (origin === undefined || !allowed.includes(origin))) {
      return { ok: false, status: 403, reason: 'origin not allowed' };
    }
    const source = this.sourceOf(ip);
    switch (this.sources.attemptUpgrade(source, this.now())) {
      case 'too-many-attempts':
        return { ok: false, status: 429, reason: 'too many connection attempts from this address' };
      case 'too-many-violations':
        return { ok: false, status: 429, reason: 'too many violations from this address' };
      case 'table-full':
        return { ok: false, status: 503, reason: 'too many client addresses' };
      case 'ok':
        break;
    }
    const max = this.limits.maxConnectionsPerIp;
    if (max > 0 && (this.sources.get(source)?.connections ?? 0) >= max) {
      return { ok: false, status: 429, reason: 'too many connections from this address' };
    }
    return { ok: true };
  }

  /** Audits a refused upgrade (any check's: origin, budgets, the verify hook), throttled per source and status. */
  auditRefusal(ip: string, status: number, message: string): void {
    const verdict = this.refusals.note(this.sourceOf(ip), status, this.now());
    if (!verdict.record) return;
    const event: AuditEvent = { kind: 'violation', code: `HTTP_${status}`, message, ip };
    if (verdict.repeated > 1) event.repeated = verdict.repeated;
    this.audit(event);
  }

  connect(transport: Transport, ip: string, host?: string): Session {
    const now = this.now();
    const source = this.sourceOf(ip);
    const session: Session = {
      transport,
      ip,
      ...(host === undefined ? {} : { host }),
      source,
      budget: this.sources.open(source, now),
      network: this.tagger.network(ip),
      connectedAt: now,
      lastSeen: now,
      bucket: newBucket(this.limits, now),
      violations: 0,
      joining: false,
      closed: false,
    };
    this.sessions.add(session);
    const max = this.limits.maxConnectionsPerIp;
    // admit() and connect() are separated by the asynchronous upgrade, so concurrent upgrades from
    // one address can pass admit() together; the count is settled here.
    if (max > 0 && session.budget.connections > max) this.close(session, CLOSE_CODES.POLICY_VIOLATION, 'too many connections from this address');
    return session;
  }

  /** The transport closed (either side): forget the session. Idempotent. */
  disconnect(session: Session, reason = 'disconnect'): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    this.hooks.leave(session, reason);
    this.sources.close(session.budget);
  }

  /** Takes one frame from the connection's and the source's budgets; a refusal is a flood violation. */
  takeFrame(session: Session, now: number): boolean {
    if (!takeToken(session.bucket, this.limits, now)) {
      this.violations.violation(
        session,
        'E_SIGNAL_RATE_LIMITED',
        `more than ${this.limits.ratePerSecond} messages/s (burst ${this.limits.burst}); message dropped`,
        true,
      );
      return false;
    }
    if (!this.sources.takeMessage(session.budget, now)) {
      this.violations.violation(
        session,
        'E_SIGNAL_RATE_LIMITED',
        `more than ${this.limits.sourceRatePerSecond} messages/s from this address (burst ${this.limits.sourceBurst}); message dropped`,
        true,
      );
      return false;
    }
    return true;
  }

  send(session: Session, frame: string): void {
    if (session.closed) return;
    if (session.transport.bufferedAmount() > this.limits.maxBufferedBytes) {
      this.close(session, CLOSE_CODES.SLOW_CONSUMER, 'not reading');
      return;
    }
    session.transport.send(frame);
  }

  error(session: Session, code: SignalErrorCode, message: string): void {
    this.send(session, encodeServerFrame({ type: 'error', code, message }));
  }

  /** Closes from the server side: out of the swarm at once, so nobody relays to a closing peer. */
  close(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    this.hooks.leave(session, reason);
    try {
      session.transport.close(code, reason);
    } catch {
      /* already gone */
    }
    this.disconnect(session, reason);
  }

  /**
   * Call every SWEEP_MS: closes connections past their deadlines (no join within joinTimeoutMs,
   * silent for peerTimeoutMs), so each holds to within one sweep; once per heartbeat pings the rest.
   */
  sweep(): void {
    const now = this.now();
    const heartbeat = now - this.lastHeartbeatAt >= this.limits.heartbeatMs;
    if (heartbeat) this.lastHeartbeatAt = now;
    for (const session of [...this.sessions]) {
      if (session.closed) continue;
      if (now - session.lastSeen > this.limits.peerTimeoutMs) {
        this.close(session, CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
      } else if (!session.peer && !session.joining && now - session.connectedAt > this.limits.joinTimeoutMs) {
        this.close(session, CLOSE_CODES.JOIN_TIMEOUT, 'no join');
      } else {
        this.hooks.deadlines(session, now);
        if (!heartbeat || session.closed) continue;
        session.transport.ping?.();
        this.hooks.heartbeat(session, now);
      }
    }
    if (heartbeat) this.sources.prune(now);
  }

  /** Closes every connection with `code`; no leave hooks run (the node is going away). */
  closeAll(code: number, reason: string): void {
    this.closing = true;
    for (const session of [...this.sessions]) {
      session.closed = true;
      try {
        session.transport.close(code, reason);
      } catch {
        /* already gone */
      }
    }
    this.sessions.clear();
    this.sources.clear();
  }

  get isClosing(): boolean {
    return this.closing;
  }
}
