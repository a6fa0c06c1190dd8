// The server under test for the signaling benchmarks: the compiled relaycast-signaling node in a
// real Node-RED runtime (node-red-node-test-helper's startServer: a real HTTP server, RED.server,
// the editor comms socket), with the test helper's sinon spies removed so that they do not record
// every node.send of the run. Also: raising this process's open-file limit, and forking load workers.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { distNode, helper } from '../../test/support/node-red';

export interface RunningServer {
  url: string;
  stats: () => Record<string, number> | undefined;
  stop: () => Promise<void>;
}

/** Raises RLIMIT_NOFILE of a process (this one by default); 50k sockets need more than the usual 20k. */
export function raiseFileLimit(pid = process.pid, limit = 200_000): void {
  try {
    execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${limit}:${limit}`]);
  } catch (err) {
    console.warn(`could not raise the open-file limit of ${pid}: ${(err as Error).message}`);
  }
}

export async function startSignalingNode(config: Record<string, unknown>): Promise<RunningServer> {
  await helper.startServer();
  const flow = [
    { id: 'f1', type: 'tab' },
    { id: 'sig', z: 'f1', type: 'relaycast-signaling', path: '/signal', statsInterval: 1, ...config, wires: [['stats'], [], []] },
    { id: 'stats', z: 'f1', type: 'helper' },
  ];
  await helper.load(distNode('signaling') as never, flow);
  (helper as unknown as { _sandbox: { restore(): void } })._sandbox.restore();
  let last: Record<string, number> | undefined;
  helper.getNode('stats').on('input', (msg: unknown) => {
    const m = msg as { topic: string; payload: Record<string, number> };
    if (m.topic === 'stats') last = m.payload;
  });
  return {
    url: `${helper.url().replace(/^http/, 'ws')}/signal`,
    stats: () => last,
    stop: async () => {
      await helper.unload();
      await helper.stopServer();
    },
  };
}

/** Announces one segment so that the swarm can be joined (swarms are closed until announced). */
export function announce(stream: string, rendition: string, sequence: number): void {
  helper.getNode('sig').receive({
    topic: 'segment',
    segment: {
      stream,
      rendition,
      session: 'bench',
      encoderSequence: sequence,
      sequence,
      duration: 2,
      byteLength: 500_000,
      sha256: 'e'.repeat(64),
      uri: `s${sequence}.ts`,
      path: `/tmp/s${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
      url: `https://media.example/${stream}/${rendition}/${sequence}.ts`,
    },
  } as never);
}

export interface WorkerHandle {
  child: ChildProcess;
  request: <T>(msg: Record<string, unknown>) => Promise<T>;
}

/** Forks a load worker (a separate process) with its own raised file limit. */
export function forkWorker(script = 'load-worker.ts'): WorkerHandle {
  const child = fork(path.join(__dirname, script), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  raiseFileLimit(child.pid!);
  let seq = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  child.on('message', (m: { id: number; result: unknown }) => {
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  });
  return {
    child,
    request: <T>(msg: Record<string, unknown>) =>
      new Promise<T>((resolve) => {
        const id = ++seq;
        waiting.set(id, resolve as (v: unknown) => void);
        child.send({ ...msg, id });
      }),
  };
}

export function rssMiB(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

/** Kills the workers and exits if the run exceeds its time budget. */
export function deadline(seconds: number, workers: () => WorkerHandle[]): NodeJS.Timeout {
  const t = setTimeout(() => {
    console.error(`time budget of ${seconds} s exceeded; stopping`);
    for (const w of workers()) w.child.kill();
    process.exit(2);
  }, seconds * 1000);
  t.unref();
  return t;
}
