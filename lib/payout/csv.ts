/**
 * Statements as CSV (RFC 4180), one row per supporter and period. Names and addresses come from
 * supporters' own records, so a cell that a spreadsheet would run as a formula (= + - @ tab CR) is
 * prefixed with an apostrophe.
 */
import type { Statement } from './settlement';

const COLUMNS = ['period', 'currency', 'supporter', 'name', 'address', 'bytes', 'viewers', 'carried_in', 'earned', 'capped', 'paid', 'carried_out', 'held'];

function cell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function statementsCsv(statements: Statement[]): string {
  const rows = [COLUMNS.join(',')];
  for (const s of statements) {
    for (const l of s.lines) {
      rows.push(
        [s.period, s.currency, l.supporter, l.name, l.address, l.bytes, l.viewers, l.carriedIn, l.earned, l.capped, l.paid, l.carriedOut, l.held]
          .map(cell)
          .join(','),
      );
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}
