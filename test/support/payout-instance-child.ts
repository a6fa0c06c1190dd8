// One Node-RED runtime (test helper) with a relaycast-payout node whose ledger is in PostgreSQL,
// for test/nodes/payout-postgres.spec.ts to run two of side by side on one ledger. It reads msgs as
// JSON lines on stdin ({n, topic, payload}) and writes one JSON line per outcome: {n, done} when the
// node called done() for msg n (a receipt is then committed), {n, error} when it failed, and
// {n, topic, payload, replayed} for what the node sent on its first output.
//   node --import tsx test/support/payout-instance-child.ts <schema>
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distNode, helper } from './node-red';
import { TEST_PG } from './postgres';

const [schema] = process.argv.slice(2);

type Msg = { _n?: number; topic?: string; payload?: unknown; replayed?: boolean; error?: { code?: string; message?: string } };
const write = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  helper.settings({ userDir: mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-instance-')), logging: { console: { level: 'off' } } } as never);
  await helper.load(
    [distNode('postgres'), distNode('payout')] as never,
    [
      { id: 'tab', type: 'tab', label: 'payout instance' },
      {
        id: 'pg',
        type: 'relaycast-postgres',
        host: TEST_PG.host,
        port: TEST_PG.port,
        database: TEST_PG.database,
        user: TEST_PG.user,
        schema,
        prefix: 'relaycast_',
      },
      { id: 'pay', z: 'tab', type: 'relaycast-payout', postgres: 'pg', summaryPath: '', threshold: 0, wires: [['out'], []] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'completer', z: 'tab', type: 'complete', scope: ['pay'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['pay'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ] as never,
  );
  helper.getNode('out').on('input', (msg: Msg) => write({ n: msg._n, topic: msg.topic, payload: msg.payload, replayed: msg.replayed }));
  helper.getNode('completed').on('input', (msg: Msg) => write({ n: msg._n, done: true }));
  helper.getNode('caught').on('input', (msg: Msg) => write({ n: msg._n, error: msg.error?.code ?? msg.error?.message }));
  const pay = helper.getNode('pay');
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      const { n, topic, payload } = JSON.parse(line) as { n: number; topic: string; payload: unknown };
      pay.receive({ _n: n, topic, payload } as never);
    })
    .on('close', () => {
      // The parent closed our stdin: stop like a redeploy would (flushes and releases the pool).
      helper.unload().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  write({ ready: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
