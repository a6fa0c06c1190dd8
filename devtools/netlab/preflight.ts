// The lab needs root and the kernel's network tools. Without them it stops before creating
// anything, with the reason and the exact fix.
import { spawnSync } from 'node:child_process';

export interface Preflight {
  ok: boolean;
  /** Why the lab cannot run here, and what to do about it (empty when ok). */
  reason: string;
}

const TOOLS: Array<{ cmd: string; args: string[]; fix: string }> = [
  { cmd: 'ip', args: ['-V'], fix: 'apt-get install -y iproute2' },
  { cmd: 'tc', args: ['-V'], fix: 'apt-get install -y iproute2' },
  { cmd: 'nft', args: ['--version'], fix: 'apt-get install -y nftables' },
  { cmd: 'nsenter', args: ['--version'], fix: 'apt-get install -y util-linux' },
];

export function preflight(): Preflight {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return {
      ok: false,
      reason: 'the network lab creates network namespaces, NAT and shaping, which needs root: run it with sudo (for example `sudo npx tsx bench/netlab.ts …`)',
    };
  }
  for (const tool of TOOLS) {
    if (spawnSync(tool.cmd, tool.args, { stdio: 'ignore' }).status !== 0) return { ok: false, reason: `the network lab needs \`${tool.cmd}\`: ${tool.fix}` };
  }
  return { ok: true, reason: '' };
}

/** Stops at once when the lab cannot run here. */
export function requireLab(): void {
  const check = preflight();
  if (!check.ok) throw Object.assign(new Error(`netlab: ${check.reason}`), { code: 'E_NETLAB_PREFLIGHT' });
}
