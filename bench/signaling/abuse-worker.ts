// Worker process for bench/signaling-abuse.ts, driven over IPC. Two roles:
//   honest — `pairs` honest pairs, each on its own forwarded address; every offerer sends an offer,
//            waits for the answer, records the round trip, and sends the next after `gapMs`.
//            Replies with the round trips measured over `seconds`.
//   attack — runs one attack (`kind`) for `seconds` from the attacker's forwarded addresses.
import net from 'node:net';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../lib/protocol/signaling/constants';

type Req = { id: number; op: string; [k: string]: unknown };
const reply = (id: number, result: unknown) => process.send!({ id, result });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(url: string, address: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers: { 'x-forwarded-for': address } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function join(ws: WebSocket): Promise<{ peer: string; peers: Array<{ peer: string }> }> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'welcome') {
        ws.off('message', onMessage);
        resolve(frame);
      } else if (frame.type === 'error') {
        ws.off('message', onMessage);
        reject(new Error(frame.code));
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'join', v: PROTOCOL_VERSION, stream: 'abuse', rendition: 'main', role: 'viewer' }));
  });
}

const honestPeers: Array<{ ws: WebSocket; id: string }> = [];

let honestClosed = 0;
/** Error frames the honest peers received, by code (an honest peer should get none). */
const honestErrors = new Map<string, number>();

async function honest(req: Req): Promise<{ rttMs: number[]; lost: number; closedBefore: number; errors: Record<string, number> }> {
  const { url, pairs, seconds, gapMs } = req as unknown as { url: string; pairs: number; seconds: number; gapMs: number };
  // An honest peer the server closed is a finding (reported), and the pairs are rebuilt for the next phase.
  const closedBefore = honestClosed;
  honestClosed = 0;
  if (honestPeers.some((p) => p.ws.readyState !== WebSocket.OPEN)) {
    for (const p of honestPeers.splice(0)) p.ws.terminate();
  }
  if (honestPeers.length === 0) {
    for (let i = 0; i < pairs * 2; i++) {
      const ws = await open(url, `198.51.100.${i + 1}`);
      ws.on('error', () => {});
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type === 'error') honestErrors.set(frame.code, (honestErrors.get(frame.code) ?? 0) + 1);
      });
      ws.on('close', (code) => {
        if (code !== 1006 || honestPeers.length > 0) honestClosed++;
        console.log(`honest peer closed by the server: ${code}`);
      });
      const welcome = await join(ws);
      honestPeers.push({ ws, id: welcome.peer });
    }
  }
  const rttMs: number[] = [];
  let lost = 0;
  const until = Date.now() + seconds * 1000;
  const loops = [];
  for (let p = 0; p < pairs; p++) {
    const offerer = honestPeers[2 * p];
    const answerer = honestPeers[2 * p + 1];
    const onOffer = (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'offer' && frame.from === offerer.id)
        answerer.ws.send(JSON.stringify({ type: 'answer', to: offerer.id, offerId: frame.offerId, sdp: 'v=0 answer' }));
    };
    answerer.ws.on('message', onOffer);
    loops.push(
      (async () => {
        let n = 0;
        while (Date.now() < until) {
          const offerId = `rt${p}x${n++}`;
          const started = process.hrtime.bigint();
          const answered = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => {
              offerer.ws.off('message', onAnswer);
              resolve(false);
            }, 5000);
            function onAnswer(data: WebSocket.RawData) {
              const frame = JSON.parse(String(data));
              if (frame.type === 'answer' && frame.offerId === offerId) {
                clearTimeout(timer);
                offerer.ws.off('message', onAnswer);
                resolve(true);
              }
            }
            offerer.ws.on('message', onAnswer);
            offerer.ws.send(JSON.stringify({ type: 'offer', to: answerer.id, offerId, sdp: 'v=0 offer' }));
          });
          if (answered) rttMs.push(Number(process.hrtime.bigint() - started) / 1e6);
          else lost++;
          await sleep(gapMs);
        }
        answerer.ws.off('message', onOffer);
      })(),
    );
  }
  await Promise.all(loops);
  const errors = Object.fromEntries(honestErrors);
  honestErrors.clear();
  return { rttMs, lost, closedBefore, errors };
}

/** Opens (and keeps re-opening) `count` attacker connections running `each` until the deadline. */
async function swarmOf(
  url: string,
  count: number,
  address: (i: number) => string,
  until: number,
  each: (ws: WebSocket, i: number) => Promise<void>,
): Promise<number> {
  let opened = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      while (Date.now() < until) {
        try {
          const ws = await open(url, address(i));
          opened++;
          ws.on('error', () => {});
          const closed = new Promise((r) => ws.once('close', r));
          await Promise.race([each(ws, i), closed, sleep(Math.max(0, until - Date.now()))]);
          ws.terminate();
        } catch {
          await sleep(20); // refused: try again shortly, like a storm would
        }
      }
    }),
  );
  return opened;
}

async function attack(req: Req): Promise<{ opened: number }> {
  const { url, kind, seconds, port } = req as unknown as { url: string; kind: string; seconds: number; port: number };
  const until = Date.now() + seconds * 1000;
  const flood = async (ws: WebSocket, frame: () => string) => {
    while (Date.now() < until && ws.readyState === WebSocket.OPEN) {
      for (let i = 0; i < 50; i++) ws.send(frame());
      await sleep(1);
    }
  };
  switch (kind) {
    case 'control: attacker burns CPU only': {
      // No traffic at all: what the attacker process costs the honest peers just by sharing the CPU.
      let spins = 0;
      while (Date.now() < until) {
        for (let i = 0; i < 1e6; i++) spins += i & 1;
        await new Promise((r) => setImmediate(r));
      }
      return { opened: spins > 0 ? 0 : 0 };
    }
    case 'message flood':
      return {
        opened: await swarmOf(
          url,
          20,
          () => '203.0.113.1',
          until,
          (ws) => flood(ws, () => '{"type":"heartbeat"}'),
        ),
      };
    case 'malformed and spoofed frames':
      return {
        opened: await swarmOf(
          url,
          20,
          (i) => `203.0.113.${10 + i}`,
          until,
          async (ws) => {
            const welcome = await join(ws);
            const victim = welcome.peers[0]?.peer ?? 'AAAAAAAAAAAA';
            let n = 0;
            await flood(ws, () => (n++ % 2 === 0 ? '{nope' : JSON.stringify({ type: 'offer', to: victim, offerId: 'x', sdp: 'v=0', from: victim })));
          },
        ),
      };
    case 'reconnect storm':
      return {
        opened: await swarmOf(
          url,
          40,
          () => '203.0.113.2',
          until,
          async () => {
            /* connect, then drop at once */
          },
        ),
      };
    case 'offer flood on honest peers':
      return {
        opened: await swarmOf(
          url,
          20,
          (i) => `203.0.113.${40 + i}`,
          until,
          async (ws) => {
            const welcome = await join(ws);
            const victims = welcome.peers.map((p) => p.peer);
            let n = 0;
            await flood(ws, () =>
              JSON.stringify({
                type: 'offer',
                to: victims[n % Math.max(1, victims.length)] ?? 'AAAAAAAAAAAA',
                offerId: `f${n++}`,
                sdp: 'v=0 '.padEnd(2000, 'x'),
              }),
            );
          },
        ),
      };
    case 'receipt probing':
      return {
        opened: await swarmOf(
          url,
          20,
          (i) => `203.0.113.${70 + i}`,
          until,
          async (ws) => {
            const welcome = await join(ws);
            const target = welcome.peers[0]?.peer ?? 'AAAAAAAAAAAA';
            let n = 0;
            await flood(ws, () => JSON.stringify({ type: 'receipt', sequence: n++ % 100, from: target, bytes: 1000 }));
          },
        ),
      };
    case 'slow readers':
      return {
        opened: await swarmOf(
          url,
          20,
          (i) => `203.0.113.${100 + i}`,
          until,
          async (ws) => {
            await join(ws);
            (ws as unknown as { _socket: net.Socket })._socket.pause();
            await new Promise((r) => ws.once('close', r));
          },
        ),
      };
    case 'half-open upgrades': {
      const sockets: net.Socket[] = [];
      for (let i = 0; i < 500; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
        sockets.push(socket);
      }
      await sleep(seconds * 1000);
      for (const socket of sockets) socket.destroy();
      return { opened: sockets.length };
    }
    default:
      throw new Error(`unknown attack ${kind}`);
  }
}

process.on('message', (req: Req) => {
  const run = async () => {
    switch (req.op) {
      case 'honest':
        return honest(req);
      case 'attack':
        return attack(req);
      default:
        return { error: `unknown op ${req.op}` };
    }
  };
  run().then(
    (result) => reply(req.id, result),
    (err) => reply(req.id, { error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
