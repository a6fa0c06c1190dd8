// A home's line: the uplink is the router's WAN egress, the downlink its LAN egress. The one
// place that installs a qdisc. This kernel has tbf and htb but no netem: delay and loss cannot be
// emulated here. With netem, it becomes the root here and the tbf its child (`parent 1:1`).
import { run } from './command';

/** How long a full queue may take to drain: a home router's buffer (bufferbloat included). */
const QUEUE_MS = 200;

export function shapeEgress(namespace: string, dev: string, mbit: number | undefined): void {
  if (mbit === undefined) return;
  const bytesPerSecond = (mbit * 1e6) / 8;
  // The bucket holds at least a few full-size frames, else tbf drops GSO bursts outright.
  const burst = Math.max(16 * 1024, Math.round(bytesPerSecond * 0.01));
  run('tc', ['-n', namespace, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', String(burst), 'latency', `${QUEUE_MS}ms`]);
}
