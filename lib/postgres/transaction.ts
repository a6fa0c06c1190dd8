/**
 * One transaction on one pooled connection, retried when PostgreSQL (or the caller) says that a
 * concurrent transaction got in the way: serialization failures and deadlocks are normal outcomes
 * under concurrency, answered by running the whole transaction again, never by a partial commit.
 */
import type { Pool, PoolClient } from 'pg';

/** Thrown by a transaction body that detected a lost race and wants to be run again from scratch. */
export class RetryTransaction extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryTransaction';
  }
}

const RETRYABLE_SQLSTATE = new Set(['40001', '40P01']);

function retryable(err: unknown): boolean {
  return err instanceof RetryTransaction || RETRYABLE_SQLSTATE.has((err as { code?: unknown })?.code as string);
}

export interface TransactionOptions {
  /** The statements that open it (one round trip), e.g. 'BEGIN; SET LOCAL synchronous_commit TO on'. */
  begin?: string;
  attempts?: number;
}

export async function inTransaction<T>(pool: Pool, body: (client: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(options.begin ?? 'BEGIN');
      const out = await body(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      // A connection that cannot even roll back is in an unknown state: destroyed, not reused.
      await client.query('ROLLBACK').catch((rollbackFailed: unknown) => {
        broken = rollbackFailed instanceof Error ? rollbackFailed : new Error(String(rollbackFailed));
      });
      if (attempt >= attempts || !retryable(err)) throw err;
    } finally {
      client.release(broken);
    }
    // Spread the retries of transactions that collided, so they do not collide again in step.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
  }
}
