// Every namespace a run creates carries the run's prefix, which names the process that owns it:
// `--cleanup` removes the namespaces of runs whose owner is gone (a SIGKILLed run) and leaves a
// run that is still going alone.

const PREFIX = /^rcl([0-9a-z]+)-/;

export function runPrefix(pid = process.pid): string {
  return `rcl${pid.toString(36)}`;
}

export const internetNamespace = (prefix: string): string => `${prefix}-inet`;
export const routerNamespace = (prefix: string, home: number): string => `${prefix}-r${home}`;
export const hostNamespace = (prefix: string, home: number): string => `${prefix}-h${home}`;

/** The owner's pid of a lab namespace name, or undefined for a namespace that is not the lab's. */
export function ownerOf(namespace: string): number | undefined {
  const match = PREFIX.exec(namespace);
  return match ? parseInt(match[1], 36) : undefined;
}
