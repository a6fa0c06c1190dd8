// Stopping a demo (`npm start`, demo/start.ts) that an e2e spec started in a child process.
import type { ChildProcess } from 'node:child_process';

/**
 * Ctrl-C, as a user stops it: demo/start.ts then stops the Node-RED, encoder or ingest ffmpeg, and
 * S3 server it started, which a SIGKILL of it would leave running. The wait only bounds a demo that
 * does not stop (then it is SIGKILLed).
 */
export async function stopDemo(demo: ChildProcess | undefined): Promise<void> {
  if (!demo || demo.exitCode !== null || demo.signalCode !== null) return;
  const exited = new Promise((resolve) => demo.once('exit', resolve));
  demo.kill('SIGINT');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
}
