// Child process of the crash-loop spec: ingests receipts [start, end) through the real ledger on the
// named store and prints `ack <i>` for each one only after its batch committed, until it is killed
// or done.   crash-child.ts <SQLite|PostgreSQL> <dir or schema> <start> <end>
import { Ledger } from '../../../lib/payout/ledger';
import { DEFAULT_RULES } from '../../../lib/payout/rules';
import { crashReceipt } from './crash-receipts';
import { BACKENDS } from './fixtures';

const [backendName, where, startArg, endArg] = process.argv.slice(2);
const start = Number(startArg);
const end = Number(endArg);
const backend = BACKENDS.find((b) => b.name === backendName);
if (!backend) throw new Error(`unknown store ${backendName}`);
const ledger = new Ledger(backend.open(where as string), { rules: DEFAULT_RULES, threshold: 0, batchMs: 1 });
const IN_FLIGHT = 256;

async function main() {
  let next = start;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      await ledger.submit(crashReceipt(i));
      // stdout to a pipe is synchronous on Linux: once written, the parent can read it even if we die now.
      process.stdout.write(`ack ${i}\n`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await ledger.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err?.stack ?? err));
    process.exit(1);
  },
);
