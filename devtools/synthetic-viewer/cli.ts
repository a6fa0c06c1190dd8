/**
 * Synthetic viewers from the command line: N viewers in this process play a live stream for S
 * seconds, then one JSON line (per-viewer and swarm figures, see figures.ts) goes to stdout.
 *
 *   npx tsx devtools/synthetic-viewer/cli.ts --master http://host/live/demo/master.m3u8 \
 *     --signal ws://host/relaycast/signal --viewers 25 --seconds 120 [--upload-off-share 0.3]
 *     [--upload-kbps 250] [--max-peers 10] [--join-every-ms 200] [--loopback-sources 1]
 *     [--report-every-ms 2000]
 *
 * --loopback-sources 1: each viewer's signaling socket binds its own 127.0.x.y, so that signaling's
 * per-address budgets see N homes rather than one (on loopback only).
 *
 * --report-every-ms: a report line every so often while the viewers play, so that a bench running
 * the viewers in another namespace can read them mid-run (its steady-state figures) and at the end
 * from the last line, then stop the process.
 *
 * WebRTC gathers candidates on every interface: run it where that is allowed (a lab namespace, or
 * `bash scripts/loopback-only.sh` for loopback).
 */
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { sleep } from '../../bench/support/swarm-figures';
import { loopbackSource, runSyntheticViewers, startSyntheticViewers, type SyntheticSwarmOptions } from './index';

export const USAGE =
  'usage: cli.ts --master <url> --signal <ws(s)://…> --viewers <n> --seconds <s> [--upload-off-share <0–1>] [--upload-kbps <n>] [--max-peers <n>] [--join-every-ms <ms>] [--loopback-sources 1] [--report-every-ms <ms>]';

type Parsed = SyntheticSwarmOptions & { seconds: number; reportEveryMs: number };

function number(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new RelaycastError('E_SYNTHETIC_CONFIG', `${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}\n${USAGE}`);
  return n;
}

export function parseArgs(argv: string[]): Parsed {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (!argv[i].startsWith('--') || value === undefined) throw new RelaycastError('E_SYNTHETIC_CONFIG', `${argv[i]} needs a value\n${USAGE}`);
    values.set(argv[i], value);
  }
  const known = [
    '--master',
    '--signal',
    '--viewers',
    '--seconds',
    '--upload-off-share',
    '--upload-kbps',
    '--max-peers',
    '--join-every-ms',
    '--loopback-sources',
    '--report-every-ms',
  ];
  for (const flag of values.keys()) if (!known.includes(flag)) throw new RelaycastError('E_SYNTHETIC_CONFIG', `unknown option ${flag}\n${USAGE}`);
  const master = values.get('--master');
  const signal = values.get('--signal');
  if (!master || !/^https?:\/\//.test(master)) throw new RelaycastError('E_SYNTHETIC_CONFIG', `--master must be an http(s) URL\n${USAGE}`);
  if (!signal || !/^wss?:\/\//.test(signal)) throw new RelaycastError('E_SYNTHETIC_CONFIG', `--signal must be a ws(s) URL\n${USAGE}`);
  const get = (flag: string, fallback: string) => values.get(flag) ?? fallback;
  return {
    masterUrl: master,
    signalingUrl: signal,
    viewers: number('--viewers', get('--viewers', '1'), 1, 500),
    seconds: number('--seconds', get('--seconds', '60'), 1, 86_400),
    uploadOffShare: number('--upload-off-share', get('--upload-off-share', '0'), 0, 1),
    uploadBytesPerSecond: Math.round((number('--upload-kbps', get('--upload-kbps', '0'), 0, 10_000_000) * 1000) / 8),
    maxPeers: values.has('--max-peers') ? number('--max-peers', values.get('--max-peers')!, 0, 50) : undefined,
    joinEveryMs: number('--join-every-ms', get('--join-every-ms', '200'), 0, 60_000),
    reportEveryMs: number('--report-every-ms', get('--report-every-ms', '0'), 0, 3_600_000),
    localAddress: number('--loopback-sources', get('--loopback-sources', '0'), 0, 1) === 1 ? loopbackSource : undefined,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.reportEveryMs === 0) {
    console.log(JSON.stringify(await runSyntheticViewers(options)));
    return;
  }
  const swarm = await startSyntheticViewers(options);
  const timer = setInterval(() => console.log(JSON.stringify(swarm.report())), options.reportEveryMs);
  await swarm.joined;
  await sleep(options.seconds * 1000);
  clearInterval(timer);
  console.log(JSON.stringify(swarm.report()));
  swarm.stop();
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      const error = toRelaycastError(err);
      console.error(`synthetic-viewer: ${error.code}: ${error.message}`);
      process.exit(2);
    },
  );
}
