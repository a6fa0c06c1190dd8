// Honest peers' relay round trip (offer → answer through relaycast-signaling) before and during each
// attack, in the same run: the compiled node in a real Node-RED runtime with its default limits and
// 127.0.0.1 as trusted proxy (so every client has its own forwarded address), honest pairs in one
// worker process, the attacker in another. Loopback only; about a minute. On a small machine the
// attacker's own CPU use slows everyone: the control phase (an attacker that only burns CPU) shows
// how much of a slowdown is that rather than the server's handling of the attack.
//   npm run build && npx tsx bench/signaling-abuse.ts
import { helper } from '../test/support/node-red';
import { announce, deadline, forkWorker, startSignalingNode } from './signaling/server';

const PAIRS = Number(process.env.PAIRS ?? 20);
const SECONDS = Number(process.env.SECONDS ?? 5);
/** Between round trips of one pair: 10 offers/s per offerer, half the default per-connection rate. */
const GAP_MS = 100;
const ATTACKS = [
  'control: attacker burns CPU only',
  'message flood',
  'malformed and spoofed frames',
  'reconnect storm',
  'offer flood on honest peers',
  'receipt probing',
  'slow readers',
  'half-open upgrades',
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const honest = forkWorker('abuse-worker.ts');
  const attacker = forkWorker('abuse-worker.ts');
  deadline(115, () => [honest, attacker]);
  const node = await startSignalingNode({ trustedProxies: '127.0.0.1', statsInterval: 0 });
  const port = Number(new URL(node.url.replace(/^ws/, 'http')).port);
  announce('abuse', 'main', 1);
  console.log(`abuse benchmark: ${PAIRS} honest pairs, one offer→answer round trip per pair every ${GAP_MS} ms, ${SECONDS} s per phase, default limits`);
  const measure = () =>
    honest.request<{ rttMs: number[]; lost: number; closedBefore: number; errors: Record<string, number> }>({
      op: 'honest',
      url: node.url,
      pairs: PAIRS,
      seconds: SECONDS,
      gapMs: GAP_MS,
    });
  const rows: Array<{ phase: string; n: number; p50: number; p99: number; lost: number; opened?: number }> = [];
  const record = (phase: string, result: { rttMs: number[]; lost: number; errors: Record<string, number> }, opened?: number) => {
    const sorted = result.rttMs.slice().sort((x, y) => x - y);
    const row = { phase, n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), lost: result.lost, opened };
    rows.push(row);
    console.log(
      `  ${phase.padEnd(30)} round trips ${String(row.n).padStart(5)}  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  lost ${row.lost}${opened === undefined ? '' : `  (attacker connections opened: ${opened})`}${Object.keys(result.errors).length ? `  honest got errors ${JSON.stringify(result.errors)}` : ''}`,
    );
  };
  record('baseline (no attack)', await measure());
  let sequence = 1;
  for (const kind of ATTACKS) {
    // Slow readers only fall behind when the server has something to send: push playlist versions.
    let pushing: NodeJS.Timeout | undefined;
    if (kind === 'slow readers') {
      pushing = setInterval(
        () =>
          helper.getNode('sig').receive({
            topic: 'playlist',
            payload: `#EXTM3U\n#${sequence++}\n${'#'.repeat(50_000)}\n`,
            playlist: { stream: 'abuse', rendition: 'main', ended: false },
          } as never),
        50,
      );
    }
    const attack = attacker.request<{ opened: number }>({ op: 'attack', kind, url: node.url, seconds: SECONDS + 1, port });
    await new Promise((r) => setTimeout(r, 500)); // let the attack ramp up before measuring
    const during = await measure();
    const { opened } = await attack;
    if (pushing) clearInterval(pushing);
    record(`during ${kind}`, during, opened);
    await new Promise((r) => setTimeout(r, 500));
  }
  record('baseline again (no attack)', await measure());
  const base = rows[0];
  const control = rows[1];
  const attacks = rows.slice(2, -1);
  const worst = attacks.reduce((w, r) => (r.p99 > w.p99 ? r : w));
  console.log(
    `RESULT abuse: honest relay round trip p99 baseline ${base.p99.toFixed(2)} ms (again at the end ${rows[rows.length - 1].p99.toFixed(2)} ms), ` +
      `CPU-only control ${control.p99.toFixed(2)} ms, worst during an attack ${worst.p99.toFixed(2)} ms (${worst.phase}); ` +
      `lost round trips ${rows.reduce((sum, r) => sum + r.lost, 0)}`,
  );
  honest.child.kill();
  attacker.child.kill();
  await node.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
