// Keeps one real Node-RED process (test/support/node-red-process.ts) running for the outside try:
// SIGKILLs it when told and starts it again at once on the flows it saved, samples its RSS, and
// tells an exit the bench did not cause (a crash) from its own kills, starting it again after one
// too so the try goes on and the crash is counted.
import { readFileSync } from 'node:fs';
import { startNodeRed, type NodeRedProcess, type NodeRedProcessOptions } from '../../test/support/node-red-process';

export interface RssSample {
  at: number;
  mib: number;
}

function rssMib(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class NodeRedSupervisor {
  current?: NodeRedProcess;
  /** Windows Node-RED was down: [SIGKILL or crash, flows started again]. */
  readonly down: Array<{ from: number; to: number }> = [];
  readonly crashes: string[] = [];
  readonly rss: RssSample[] = [];
  kills = 0;
  private stopping = false;
  private readonly expected = new WeakSet<NodeRedProcess>();
  private sampler?: NodeJS.Timeout;
  private restarting?: Promise<void>;

  constructor(private readonly options: NodeRedProcessOptions) {}

  get base(): string | undefined {
    return this.current?.base;
  }

  async start(): Promise<void> {
    await this.launch(true);
    this.sampler = setInterval(() => {
      const mib = rssMib(this.current?.child.pid);
      if (mib !== undefined) this.rss.push({ at: performance.now(), mib });
    }, 1000);
  }

  /** SIGKILL now, then start again at once on the saved flows; resolves once its flows run. */
  async killAndRestart(): Promise<void> {
    const proc = this.current;
    if (!proc) return;
    const from = performance.now();
    this.expected.add(proc);
    this.kills += 1;
    this.current = undefined;
    await proc.kill();
    await this.launch(false);
    this.down.push({ from, to: performance.now() });
  }

  output(): string {
    return this.current?.output() ?? '';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sampler);
    await this.restarting;
    const proc = this.current;
    if (proc) {
      this.expected.add(proc);
      await proc.kill();
    }
  }

  private async launch(withFlows: boolean): Promise<void> {
    const proc = await startNodeRed(withFlows ? this.options : { ...this.options, flows: undefined, credentials: undefined });
    this.current = proc;
    void proc.exited.then(() => {
      if (this.expected.has(proc) || this.stopping) return;
      const from = performance.now();
      this.crashes.push(`exit ${proc.child.exitCode ?? proc.child.signalCode}: ${proc.output().slice(-1500)}`);
      this.current = undefined;
      this.restarting = this.launch(false).then(
        () => {
          this.down.push({ from, to: performance.now() });
        },
        (err: unknown) => {
          this.crashes.push(`could not start again: ${String(err)}`);
        },
      );
    });
  }
}
