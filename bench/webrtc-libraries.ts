/**
 * The two candidate WebRTC libraries for the headless supporter, side by side in one run, on
 * loopback only: `@roamhq/wrtc` (libwebrtc, prebuilt binary in an npm package) and `werift` (pure
 * TypeScript). For each it prints:
 *   - Node ↔ Node DataChannel throughput (two peer connections in this process, the peer wire
 *     protocol's frame size and buffer water marks), CPU per MB (both ends, same process) and RSS;
 *   - interop with headless Chromium: Chromium → Node and Node → Chromium throughput and CPU per MB
 *     on the Node side (what a supporter serving browser viewers pays).
 *
 *   npx tsx bench/webrtc-libraries.ts [--mb 64] [--libs wrtc,werift] [--from /dir/with/node_modules]
 *
 * A library that is not installed is reported as such (werift is not a dependency of the package;
 * `npm install --no-save werift@0.24.4` adds it for this comparison: 0.25 requires Node ≥ 22).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { launchChromium, WEBRTC_LOOPBACK_ARGS } from '../test/support/chromium';
import { confinedToLoopback } from './support/loopback-only';

const FRAME = 32 * 1024 + 9;
const HIGH = 1024 * 1024;
const LOW = 256 * 1024;

interface Lib {
  name: string;
  RTCPeerConnection: new (config: unknown) => any;
  config: Record<string, unknown>;
}

function log(text: string): void {
  if (process.env.BENCH_DEBUG) console.error(`[${new Date().toISOString()}] ${text}`);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function load(name: string, from: string): Lib | string {
  const req = createRequire(path.join(from, 'package.json'));
  try {
    if (name === 'wrtc') return { name: '@roamhq/wrtc', RTCPeerConnection: req('@roamhq/wrtc').RTCPeerConnection, config: {} };
    // werift leaves loopback out of its host candidates unless it is named explicitly.
    return { name: 'werift', RTCPeerConnection: req('werift').RTCPeerConnection, config: { iceAdditionalHostAddresses: ['127.0.0.1'] } };
  } catch (err) {
    return `not loadable: ${(err as Error).message.split('\n')[0]}`;
  }
}

function onceOpen(dc: any): Promise<void> {
  return new Promise((resolve) => {
    if (dc.readyState === 'open') resolve();
    else dc.onopen = () => resolve();
  });
}

/** Writes `total` bytes in wire-sized frames, respecting the high/low water marks. */
function pump(dc: any, total: number): Promise<void> {
  const frame = new Uint8Array(FRAME);
  let sent = 0;
  dc.bufferedAmountLowThreshold = LOW;
  return new Promise((resolve, reject) => {
    // @roamhq/wrtc sometimes never fires bufferedamountlow once the buffer has drained (observed:
    // bufferedAmount 0, no event): a 5 ms poll stands in for it, as in lib/supporter/node-platform.ts.
    const poll = setInterval(() => {
      if (dc.bufferedAmount <= LOW) write();
    }, 5);
    const write = (): void => {
      try {
        while (sent < total && dc.bufferedAmount < HIGH) {
          dc.send(frame);
          sent += FRAME;
        }
      } catch (err) {
        clearInterval(poll);
        reject(err);
        return;
      }
      if (sent >= total) {
        clearInterval(poll);
        resolve();
      }
    };
    // werift has no onbufferedamountlow; it signals the same through an Event it calls bufferedAmountLow.
    if (dc.bufferedAmountLow?.subscribe) dc.bufferedAmountLow.subscribe(write);
    else dc.onbufferedamountlow = write;
    write();
  });
}

function counter(dc: any, total: number): Promise<void> {
  let got = 0;
  dc.binaryType = 'arraybuffer';
  return new Promise((resolve) => {
    dc.onmessage = (e: { data: ArrayBuffer | Uint8Array }) => {
      got += (e.data as ArrayBuffer).byteLength;
      if (got >= total) resolve();
    };
  });
}

function measure<T>(fn: () => Promise<T>): Promise<{ seconds: number; cpuMs: number; value: T }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return fn().then((value) => {
    const cpu = process.cpuUsage(cpu0);
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000, value };
  });
}

async function nodeToNode(lib: Lib, total: number): Promise<string> {
  const a = new lib.RTCPeerConnection({ iceServers: [], ...lib.config });
  const b = new lib.RTCPeerConnection({ iceServers: [], ...lib.config });
  a.onicecandidate = (e: any) => {
    if (e.candidate) b.addIceCandidate(e.candidate).catch(() => {});
  };
  b.onicecandidate = (e: any) => {
    if (e.candidate) a.addIceCandidate(e.candidate).catch(() => {});
  };
  const dcA = a.createDataChannel('relaycast', { ordered: true });
  const dcBReady = new Promise<any>((resolve) => {
    b.ondatachannel = (e: any) => resolve(e.channel);
  });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await onceOpen(dcA);
  log('node↔node channel open');
  const dcB = await dcBReady;
  const rss0 = process.memoryUsage().rss;
  const got = counter(dcB, total);
  const r = await measure(async () => {
    await pump(dcA, total);
    await got;
  });
  const rss = process.memoryUsage().rss;
  a.close();
  b.close();
  const mb = total / 1e6;
  return `node↔node ${(mb / r.seconds).toFixed(1)} MB/s, ${(r.cpuMs / mb).toFixed(1)} ms CPU/MB (both ends), RSS ${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - rss0) / 2 ** 20).toFixed(0)})`;
}

/** Node offers, Chromium answers (non-trickle: full SDP once gathering completes). */
async function withChromium(lib: Lib, total: number, page: any): Promise<string> {
  const pc = new lib.RTCPeerConnection({ iceServers: [], ...lib.config });
  const dc = pc.createDataChannel('relaycast', { ordered: true });
  const gathered = new Promise<void>((resolve) => {
    pc.onicecandidate = (e: any) => {
      if (!e.candidate) resolve();
    };
  });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered;
  const answer = await page.evaluate(
    async (offer: { type: string; sdp: string }) => {
      const w = window as any;
      const remote = new RTCPeerConnection({ iceServers: [] });
      w.remote = remote;
      w.channel = new Promise((resolve) => {
        remote.ondatachannel = (e) => {
          e.channel.binaryType = 'arraybuffer';
          resolve(e.channel);
        };
      });
      await remote.setRemoteDescription(offer as RTCSessionDescriptionInit);
      await remote.setLocalDescription(await remote.createAnswer());
      await new Promise<void>((resolve) => {
        if (remote.iceGatheringState === 'complete') resolve();
        else
          remote.onicegatheringstatechange = () => {
            if (remote.iceGatheringState === 'complete') resolve();
          };
      });
      return { type: remote.localDescription!.type, sdp: remote.localDescription!.sdp };
    },
    { type: pc.localDescription.type, sdp: pc.localDescription.sdp },
  );
  log(
    `chromium answer candidates: ${answer.sdp
      .split('\n')
      .filter((l: string) => l.startsWith('a=candidate'))
      .join(' | ')}`,
  );
  await pc.setRemoteDescription(answer);
  await onceOpen(dc);
  log('chromium channel open');
  // Node → Chromium.
  const received = page.evaluate(async (n: number) => {
    const ch = await (window as any).channel;
    let got = 0;
    await new Promise<void>((resolve) => {
      ch.onmessage = (e: MessageEvent) => {
        got += (e.data as ArrayBuffer).byteLength;
        if (got >= n) resolve();
      };
    });
    return got;
  }, total);
  const up = await measure(async () => {
    await pump(dc, total);
    await received;
  });
  // Chromium → Node.
  const got = counter(dc, total);
  const down = await measure(async () => {
    await page.evaluate(
      async (args: { n: number; frame: number; high: number; low: number }) => {
        const ch = await (window as any).channel;
        const frame = new Uint8Array(args.frame);
        ch.bufferedAmountLowThreshold = args.low;
        let sent = 0;
        await new Promise<void>((resolve) => {
          const write = () => {
            while (sent < args.n && ch.bufferedAmount < args.high) {
              ch.send(frame);
              sent += args.frame;
            }
            if (sent >= args.n) resolve();
          };
          ch.onbufferedamountlow = write;
          write();
        });
      },
      { n: total, frame: FRAME, high: HIGH, low: LOW },
    );
    await got;
  });
  await page.evaluate(() => (window as any).remote.close());
  pc.close();
  const mb = total / 1e6;
  return `node→chromium ${(mb / up.seconds).toFixed(1)} MB/s at ${(up.cpuMs / mb).toFixed(1)} ms Node CPU/MB; chromium→node ${(mb / down.seconds).toFixed(1)} MB/s at ${(down.cpuMs / mb).toFixed(1)} ms Node CPU/MB`;
}

async function main(): Promise<void> {
  if (!confinedToLoopback(__filename)) return;
  const total = Number(arg('mb', '64')) * 2 ** 20;
  const from = path.resolve(arg('from', path.resolve(__dirname, '..')));
  const browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  log('chromium up');
  const page = await browser.newPage();
  await page.goto('about:blank');
  console.log(`WebRTC libraries, Node ${process.version}, ${total / 2 ** 20} MiB per direction, loopback only`);
  for (const name of arg('libs', 'wrtc,werift').split(',')) {
    const lib = load(name, from);
    if (typeof lib === 'string') {
      console.log(`${name}: ${lib}`);
      continue;
    }
    try {
      console.log(`${lib.name}: ${await nodeToNode(lib, total)}`);
      const interop = withChromium(lib, Math.min(total, 32 * 2 ** 20), page);
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('chromium interop: no transfer within 60 s'), 60_000);
      });
      console.log(`${lib.name}: ${await Promise.race([interop, limit])}`);
      clearTimeout(timer);
    } catch (err) {
      console.log(`${lib.name}: failed: ${(err as Error).message}`);
    }
  }
  await browser.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
