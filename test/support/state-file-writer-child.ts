// Child process for test/unit/state-writer.spec.ts: saves large, self-checking states through
// StateFile as fast as it can, until the parent SIGKILLs it at a random moment.
import { StateFile } from '../../lib/fs/json-state-file';

const file = new StateFile(process.argv[2], {
  code: 'E_TEST_STATE',
  what: 'test state',
  onError: (err) => {
    process.stderr.write(`${err.message}\n`);
  },
});
let n = 0;
async function loop(): Promise<void> {
  for (;;) {
    n += 1;
    // A different length each time, so a torn file could not pass for a whole one.
    const pad = 'x'.repeat(300_000 + (n % 997) * 101);
    await file.saveDurably({ n, length: pad.length, pad });
    if (n === 3) process.stdout.write('saving\n');
  }
}
loop().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
