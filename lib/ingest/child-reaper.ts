/**
 * Every ffmpeg the ingest started, killed when the Node-RED process exits for any reason that still
 * runs 'exit' handlers (a crash through an uncaught exception, process.exit, SIGINT/SIGTERM handled
 * by Node-RED). On SIGKILL nothing runs, but the relayed publisher socket then closes, and ffmpeg,
 * its input gone, ends by itself.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export function reapOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', killAll);
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}
