// Whether a pid still names a running process: how the demo's run lock and the network lab's
// `--cleanup` tell a live owner from one that was killed with -9.
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
