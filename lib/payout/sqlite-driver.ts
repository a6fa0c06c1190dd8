/**
 * One synchronous SQLite API over two engines, so the same ledger file works on both Node majors
 * the project supports:
 *   - Node ≥ 22.13 ships `node:sqlite` (no flag needed): used first, nothing native to load;
 *   - Node 20 has no built-in SQLite: better-sqlite3 12.x (an optional dependency; 13.x needs
 *     Node 22 and crashes on 20).
 * CI runs the runtime specs under Node 22 with the node_modules built for Node 20; better-sqlite3's
 * addon cannot load there (NODE_MODULE_VERSION differs), which is why the built-in engine is tried
 * first rather than last. Both are the same SQLite file format, so a ledger moves between them.
 * Only positional `?` parameters and plain numbers/strings/null are used: the subset both engines
 * bind identically.
 */
import { RelaycastError } from '../errors';

export type SqlValue = number | string | null;

export interface SqlStatement {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): Record<string, unknown> | undefined;
  all(...params: SqlValue[]): Array<Record<string, unknown>>;
}

export interface SqlDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}

export type SqliteEngine = 'node:sqlite' | 'better-sqlite3';

type Ctor = new (file: string) => SqlDatabase;

function builtin(): Ctor | undefined {
  // getBuiltinModule (Node ≥ 20.16) answers undefined instead of throwing where the module is absent.
  const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const mod = get?.call(process, 'node:sqlite') as { DatabaseSync?: Ctor } | undefined;
  return mod?.DatabaseSync;
}

function addon(): Ctor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('better-sqlite3') as Ctor;
  } catch (err) {
    throw new RelaycastError(
      'E_PAYOUT_STORE',
      `no SQLite engine: this Node.js (${process.version}) has no node:sqlite and better-sqlite3@12 could not be loaded ` +
        `(${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
      { cause: err },
    );
  }
}

/** Which engine openSqlite would use here (tests and benches print it). */
export function sqliteEngine(): SqliteEngine {
  return builtin() ? 'node:sqlite' : 'better-sqlite3';
}

export function openSqlite(file: string, engine: SqliteEngine = sqliteEngine()): SqlDatabase {
  const Database = engine === 'node:sqlite' ? builtin() : addon();
  if (!Database) throw new RelaycastError('E_PAYOUT_STORE', `node:sqlite is not available on Node.js ${process.version}`);
  try {
    return new Database(file);
  } catch (err) {
    throw new RelaycastError('E_PAYOUT_STORE', `cannot open the ledger ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
