// Load generator for the signaling benchmarks; always runs in its own process (forked by the
// bench scripts), driven over IPC. Modes:
//   connect  — open `count` connections (spread over source addresses 127.0.0.x so that the
//              ephemeral port range is not the limit) and join each; replies with how many joined.
//   relay    — `pairs` pairs of peers; each offerer keeps `window` offers in flight, each answerer
//              answers every offer; counts relayed frames received over `seconds`. With
//              `answerUrl`, the answerers connect there (another instance sharing the swarm).
//   probe    — `count` fresh joins, `concurrency` at a time; replies with join→welcome latencies.
//   close    — closes everything.
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../lib/protocol/signaling/constants';

type Req = { id: number; op: string; [k: string]: unknown };
const sockets: WebSocket[] = [];
const reply = (id: number, result: unknown) => process.send!({ id, result });

function open(url: string, localAddress?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function joinOn(ws: WebSocket, stream: string, rendition: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'welcome') resolve(f.peer);
      else reject(new Error(JSON.stringify(f)));
    });
    ws.send(JSON.stringify({ type: 'join', v: PROTOCOL_VERSION, stream, rendition, role: 'viewer' }));
  });
}

async function connect(req: Req): Promise<{ joined: number; failed: number; firstError?: string }> {
  const { url, count, sources, stream, rendition } = req as unknown as { url: string; count: number; sources: string[]; stream: string; rendition: string };
  let next = 0;
  let joined = 0;
  let failed = 0;
  let firstError: string | undefined;
  const one = async () => {
    while (next < count) {
      const i = next++;
      try {
        const ws = await open(url, sources[i % sources.length]);
        ws.on('error', () => {});
        sockets.push(ws);
        await joinOn(ws, stream, rendition);
        joined++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: 200 }, one));
  return { joined, failed, firstError };
}

async function relay(req: Req): Promise<{ received: number; seconds: number }> {
  const { url, pairs, window, seconds, sdpBytes, bare, answerUrl } = req as unknown as {
    url: string;
    pairs: number;
    window: number;
    seconds: number;
    sdpBytes: number;
    bare: boolean;
    answerUrl?: string;
  };
  const sdp = 'v=0 ' + 'a'.repeat(sdpBytes);
  let received = 0;
  let counting = false;
  let stopped = false;
  const peers: Array<{ ws: WebSocket; id: string }> = [];
  for (let i = 0; i < pairs * 2; i++) {
    let ws: WebSocket;
    let id: string;
    if (bare) {
      // The bare relay greets at once; listen before 'open' so the greeting cannot be missed.
      ws = new WebSocket(url, { perMessageDeflate: false });
      const greeted = new Promise<string>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)).peer)));
      id = await greeted;
    } else {
      ws = await open(i % 2 === 1 && answerUrl ? answerUrl : url);
      id = await joinOn(ws, 'relay', 'main');
    }
    sockets.push(ws);
    peers.push({ ws, id });
  }
  // A peer joined on another instance reaches this one's replica through Redis a moment later.
  if (answerUrl) await new Promise((r) => setTimeout(r, 1000));
  for (let p = 0; p < pairs; p++) {
    const offerer = peers[2 * p];
    const answerer = peers[2 * p + 1];
    let n = 0;
    const offer = () => {
      if (stopped) return;
      offerer.ws.send(JSON.stringify({ type: 'offer', to: answerer.id, offerId: `o${n++ % 100000}`, sdp }));
    };
    answerer.ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== 'offer') return;
      if (counting) received++;
      if (!stopped) answerer.ws.send(JSON.stringify({ type: 'answer', to: f.from, offerId: f.offerId, sdp }));
    });
    offerer.ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== 'answer') return;
      if (counting) received++;
      offer();
    });
    for (let w = 0; w < window; w++) offer();
  }
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  counting = true;
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  stopped = true;
  await new Promise((r) => setTimeout(r, 300));
  for (const { ws } of peers) ws.terminate();
  return { received, seconds: elapsed };
}

async function probe(req: Req): Promise<{ latenciesMs: number[]; failed: number }> {
  const { url, count, concurrency, sources, stream, rendition } = req as unknown as {
    url: string;
    count: number;
    concurrency: number;
    sources: string[];
    stream: string;
    rendition: string;
  };
  const latenciesMs: number[] = [];
  let failed = 0;
  let next = 0;
  const one = async () => {
    while (next < count) {
      const i = next++;
      try {
        const ws = await open(url, sources[i % sources.length]);
        sockets.push(ws);
        const t0 = process.hrtime.bigint();
        await joinOn(ws, stream, rendition);
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return { latenciesMs, failed };
}

process.on('message', (req: Req) => {
  const run = async () => {
    switch (req.op) {
      case 'connect':
        return connect(req);
      case 'relay':
        return relay(req);
      case 'probe':
        return probe(req);
      case 'close':
        for (const ws of sockets.splice(0)) ws.terminate();
        return { closed: true };
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
