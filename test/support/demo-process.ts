// Starting and stopping a demo (`npm start`, demo/start.ts) in a child process of an e2e spec.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseMediaPlaylist } from '../../devtools/hls-validator';
import { untilValue } from './until';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * demo/start.ts with `args` (`--ingest`), as `npm start` runs it after its build, with `env` on top
 * of this process's environment less any `R2_` variable (the demo's local S3 server stands in for
 * R2, and a developer's real credentials must not reach a test). Both output streams go to `onOutput`.
 */
export function spawnDemo(args: string[], env: NodeJS.ProcessEnv, onOutput: (text: string) => void): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of Object.keys(childEnv)) if (name.startsWith('R2_')) delete childEnv[name];
  const demo = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['demo/start.ts', ...args], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  demo.stderr?.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  return demo;
}

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

/**
 * Waits until the media playlist at `url` lists at least `segments` segments: a viewer page opened
 * before the stream is live waits out its offline backoff (viewer-page.spec), so specs open tabs after.
 * `seen` says what went wrong on a timeout (the demo's output, the publisher's).
 */
export async function untilPlaylistLists(url: string, segments: number, what: string, seen: () => string): Promise<void> {
  await untilValue(
    async () => {
      const text = await fetch(url).then(
        (r) => (r.ok ? r.text() : ''),
        () => '',
      );
      return parseMediaPlaylist(text).segments.length >= segments ? true : undefined;
    },
    what,
    60_000,
    250,
    seen,
  );
}
