// Removing what a run created. Deleting a namespace takes its links, routes, nftables tables and
// qdiscs with it, so the namespaces are the whole inventory.
import { spawnSync } from 'node:child_process';
import { runQuietly } from './command';
import { processRunning } from '../process-running';
import { ownerOf } from './names';

export function labNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name !== '' && ownerOf(name) !== undefined);
}

/** Deletes every namespace of this run's prefix. Returns the names deleted. */
export function removeRun(prefix: string): string[] {
  const mine = labNamespaces().filter((name) => name.startsWith(`${prefix}-`));
  for (const name of mine) runQuietly('ip', ['netns', 'delete', name]);
  return mine;
}

/** Deletes the namespaces of lab runs whose owning process is gone (`--cleanup`). */
export function removeLeftovers(): string[] {
  const stale = labNamespaces().filter((name) => !processRunning(ownerOf(name)!));
  for (const name of stale) runQuietly('ip', ['netns', 'delete', name]);
  return stale;
}
