/** What every validator check returns: a rule id a test can assert on, and where it was broken. */
export interface Violation {
  /** Stable id, e.g. 'targetduration.exceeded'. */
  rule: string;
  /** 'error' = a MUST of RFC 8216 / rfc8216bis; 'warning' = a SHOULD. */
  severity: 'error' | 'warning';
  message: string;
  /** 1-based line in the playlist text, when the violation has one. */
  line?: number;
}

export class ViolationList {
  readonly items: Violation[] = [];

  error(rule: string, message: string, line?: number): void {
    this.items.push({ rule, severity: 'error', message, line });
  }

  warning(rule: string, message: string, line?: number): void {
    this.items.push({ rule, severity: 'warning', message, line });
  }
}

/** Only the MUST-level violations. */
export function errorsOf(violations: Violation[]): Violation[] {
  return violations.filter((v) => v.severity === 'error');
}

/** One line per violation, for assertion messages. */
export function formatViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.severity} ${v.rule}${v.line ? ` (line ${v.line})` : ''}: ${v.message}`).join('\n');
}
