/**
 * The cost model on the command line (core: bench/support/cost-model.ts; prices: lib/costs/prices.ts).
 * Defaults are the README case: 600 viewers × 40 minutes at the viewer benchmark's bitrate and
 * segment length, with the P2P share and request rates it measured (bench/README.md, viewer swarm,
 * N = 8). Any input can be changed:
 *
 *   npx tsx bench/cost-model.ts --viewers 600 --minutes 40 --bitrate 0.9 --segment 2 \
 *     --p2p-share 0.856 --playlist-rpm 0 --segment-rpm 4.31 [--http-playlist-rpm 30] [--renditions 1]
 *
 * Prints a markdown table: Relaycast with the swarm, the same pipeline with plain hls.js over HTTP,
 * every byte from an EC2 origin, and the earlier design's claim with the playlist polling it forgot.
 */
import { parseArgs } from 'node:util';
import { compare, costOf, EARLIER_DESIGN, FREE_TIER_NOTE, swarmPushBytesPerViewerMinute, type CostInputs } from './support/cost-model';
import { BYTES_PER_GB, PRICE_SOURCES } from '../lib/costs/prices';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '600' },
    minutes: { type: 'string', default: '40' },
    bitrate: { type: 'string', default: '0.9' },
    segment: { type: 'string', default: '2' },
    'p2p-share': { type: 'string', default: '0.856' },
    'playlist-rpm': { type: 'string', default: '0' },
    'segment-rpm': { type: 'string', default: '4.31' },
    'http-playlist-rpm': { type: 'string', default: '30' },
    renditions: { type: 'string', default: '1' },
  },
});

const num = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isFinite(value)) {
    console.error(`--${name} must be a number`);
    process.exit(2);
  }
  return value;
};

const swarm: CostInputs = {
  viewers: num('viewers'),
  minutes: num('minutes'),
  bitrateMbps: num('bitrate'),
  segmentSeconds: num('segment'),
  p2pShare: num('p2p-share'),
  playlistRequestsPerViewerMinute: num('playlist-rpm'),
  segmentRequestsPerViewerMinute: num('segment-rpm'),
  renditions: num('renditions'),
  signalingBytesPerViewerMinute: swarmPushBytesPerViewerMinute(num('segment')),
};
const httpOnly: CostInputs = {
  ...swarm,
  p2pShare: 0,
  playlistRequestsPerViewerMinute: num('http-playlist-rpm'),
  segmentRequestsPerViewerMinute: undefined,
  signalingBytesPerViewerMinute: 0,
};

const withSwarm = compare(swarm);
const plain = costOf(httpOnly);
const gb = (bytes: number) => (bytes / BYTES_PER_GB).toFixed(2);
const count = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (d: number) => `$${d < 1 ? d.toFixed(3) : d.toFixed(2)}`;

console.log(
  `Inputs: ${swarm.viewers} viewers × ${swarm.minutes} min, ${swarm.bitrateMbps} Mb/s, ${swarm.segmentSeconds} s segments, ${swarm.renditions} rendition(s)`,
);
console.log(
  `Measured: P2P share ${(swarm.p2pShare * 100).toFixed(1)} %, ${swarm.playlistRequestsPerViewerMinute} playlist and ${swarm.segmentRequestsPerViewerMinute} segment req/viewer-min with the swarm; ${httpOnly.playlistRequestsPerViewerMinute} playlist req/viewer-min over plain HTTP\n`,
);
console.log(
  '| design | playlist requests to the origin | segment requests over HTTP | GB from origin (playlists + signaling) / R2 | R2 Class A | R2 Class B | R2 storage GB-month | cost |',
);
console.log('|---|---|---|---|---|---|---|---|');
const row = (name: string, c: ReturnType<typeof costOf>) =>
  console.log(
    `| ${name} | ${count(c.playlistRequests)} | ${count(c.segmentRequests)} | ${gb(c.playlistBytes + c.signalingBytes)} / ${gb(c.segmentHttpBytes)} | ${count(c.r2.classA)} (${usd(c.r2.classADollars)}) | ${count(c.r2.classB)} (${usd(c.r2.classBDollars)}) | ${c.r2.storageGBMonth.toExponential(1)} (${usd(c.r2.storageDollars)}) | **${usd(c.dollars)}** |`,
  );
row('Relaycast, viewer swarm (measured)', withSwarm.relaycast);
row('Relaycast pipeline, plain hls.js over HTTP (measured)', plain);
const origin = withSwarm.allFromOrigin;
console.log(
  `| every byte from an EC2 origin | ${count(origin.requests / 2)} | ${count(origin.requests / 2)} | ${gb(origin.bytes)} / – | – | – | – | **${usd(origin.dollars)}** |`,
);
const earlier = withSwarm.earlierDesign;
console.log(`| earlier design as claimed | – | – | – | – | – | – | ${usd(earlier.claimedDollars)} |`);
console.log(
  `| earlier design + the playlist polling it forgot (1 per ${EARLIER_DESIGN.targetDurationSeconds} s, ${EARLIER_DESIGN.playlistEntries}-entry playlist from EC2) | ${count(earlier.forgottenPlaylistRequests)} | – | ${gb(earlier.forgottenPlaylistBytes)} / – | – | – | – | **${usd(earlier.correctedDollars)}** |`,
);
console.log(`\n${FREE_TIER_NOTE}`);
console.log('Prices:');
for (const p of PRICE_SOURCES) console.log(`- ${p.price}: ${p.source}`);
