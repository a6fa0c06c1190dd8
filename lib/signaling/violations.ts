/**
 * Violations: frames an honest client never sends. Each one is answered with an `error`, audited,
 * counted on the connection (the 11th closes it: POLICY_VIOLATION, or RATE_LIMITED for a flood) and charged to the
 * client's source, where a reconnect does not wipe it (source-budgets.ts). Codes an honest client can
 * hit in a race (protocol NOT_A_VIOLATION) are answered and nothing more.
 */
import type { SignalingLimits } from './limits';
import { CLOSE_CODES, NOT_A_VIOLATION, type SignalErrorCode } from './protocol';
import type { AuditEvent, Session } from './session';
import type { SourceBudgets } from './source-budgets';

export interface ViolationOutlets {
  error(session: Session, code: SignalErrorCode, message: string): void;
  close(session: Session, code: number, reason: string): void;
  audit(event: AuditEvent): void;
}

export class ViolationPolicy {
  /** Violations counted since start (the stats output). */
  total = 0;

  constructor(
    private readonly limits: SignalingLimits,
    private readonly sources: SourceBudgets,
    private readonly outlets: ViolationOutlets,
    private readonly now: () => number,
  ) {}

  violation(session: Session, code: SignalErrorCode, message: string, flood = false): void {
    if (NOT_A_VIOLATION.has(code)) {
      this.outlets.error(session, code, message);
      return;
    }
    this.total++;
    session.violations++;
    this.sources.violation(session.budget, this.now());
    const where = { ip: session.ip, peer: session.peer?.id, stream: session.stream, rendition: session.rendition };
    this.outlets.audit({ kind: 'violation', code, message, ...where });
    if (session.violations <= this.limits.maxViolations) {
      this.outlets.error(session, code, message);
      return;
    }
    const closeCode = flood ? CLOSE_CODES.RATE_LIMITED : CLOSE_CODES.POLICY_VIOLATION;
    this.outlets.audit({ kind: 'closed', code: String(closeCode), message: `closed after ${session.violations} violations (last: ${code})`, ...where });
    this.outlets.close(session, closeCode, flood ? 'rate limit' : 'policy violation');
  }
}
