/**
 * One `npm start` per run folder and port. A second start must refuse before it touches anything:
 * the first one's encoder output, local S3 data and userDir stay exactly as they are, and the
 * message names what to do instead. The lock is a file holding the owner's pid, created exclusively;
 * one left by a process that no longer runs (killed with -9) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { processRunning as running } from '../devtools/process-running';

export class DemoRefusal extends Error {}

/** Takes the run folder's lock, or throws DemoRefusal naming the process that holds it. Returns the release. */
export function lockRunDir(runDir: string, port: number): () => void {
  mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, 'demo.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isSafeInteger(owner) && owner > 0 && running(owner)) {
        throw new DemoRefusal(
          `another relaycast demo (pid ${owner}) is running from ${runDir}; nothing was changed. Stop it with Ctrl-C, or start another on a free port: PORT=${port + 1} npm start`,
        );
      }
      rmSync(file, { force: true }); // a stale lock: its owner is gone
    }
  }
  throw new DemoRefusal(`could not take the lock ${file}`);
}

/** Refuses a port that something else already listens on (another demo, or another program). */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new DemoRefusal(
            `port ${port} on ${host} is already in use (another npm start, or another program); nothing was changed. Start on a free port: PORT=${port + 1} npm start`,
          ),
        );
      else reject(err);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
