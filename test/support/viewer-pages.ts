// What the viewer e2e specs read from a viewer page in headless Chromium: the page's Relaycast
// figures, and an integrity watch that hashes every fragment hls.js receives and compares it with
// the server's announcement. Shared by every spec that opens viewer pages.
import type { Page } from 'playwright-core';
import { until as untilHolds } from './until';

export interface PageFigures {
  http: number;
  p2p: number;
  httpSegments: number;
  uploaded: number;
  peers: number;
  stalls: number;
  /** Each stall's context (viewer/page/playback.ts StallRecord), for failure messages. */
  stallLog: unknown[];
  currentTime: number;
  peerId?: string;
  webrtc: boolean;
  joined: boolean;
  fromSwarm: number;
  fromHttp: number;
  checked: number;
  bad: number;
  fatal: string[];
  dropped: string[];
}

/** Browser figures move slowly and cost a page round trip to read: poll every 250 ms, for up to a minute. */
export function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  return untilHolds(condition, what, timeoutMs, 250);
}

/** Every fragment hls.js receives is hashed in the page and compared with the server's announcement. */
export async function watchIntegrity(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).relaycastViewer !== undefined);
  // A string, not a function: the test runner's transpiler would add helpers the page lacks.
  await page.evaluate(`(() => {
    const v = window.relaycastViewer;
    const w = window;
    w.integrity = { checked: 0, bad: 0, fatal: [], dropped: [] };
    v.hls.on('hlsError', (_e, d) => { if (d.fatal) w.integrity.fatal.push(d.type + ':' + d.details); });
    (function hookEngine() {
      const engine = v.session && v.session.engine;
      if (!engine) { setTimeout(hookEngine, 50); return; }
      engine.on('peer-dropped', (peer, reason) => w.integrity.dropped.push(peer + ':' + reason));
    })();
    v.hls.on('hlsFragLoaded', (_e, d) => {
      // The store is internal: the check reads it through the session's internal engine.
      const engine = v.session && v.session.peerEngine;
      const sequence = engine && engine.store.sequenceOf(d.frag.url);
      if (sequence === undefined) return;
      const expected = engine.store.meta(sequence).sha256;
      crypto.subtle.digest('SHA-256', d.payload.slice(0)).then((digest) => {
        const hex = Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, '0')).join('');
        w.integrity.checked++;
        if (hex !== expected) w.integrity.bad++;
      });
    });
  })()`);
}

export async function figures(page: Page): Promise<PageFigures> {
  return page.evaluate(() => {
    const w = window as any;
    const s = w.relaycastViewer.stats() ?? {};
    return {
      http: s.httpBytes ?? 0,
      p2p: s.p2pBytes ?? 0,
      httpSegments: s.httpSegments ?? 0,
      uploaded: s.uploadedBytes ?? 0,
      peers: s.peers ?? 0,
      peerId: s.peerId,
      stalls: w.relaycastViewer.playback.stalls,
      stallLog: w.relaycastViewer.playback.stallLog,
      currentTime: (document.getElementById('video') as HTMLVideoElement).currentTime,
      webrtc: s.webrtc ?? false,
      joined: s.joined ?? false,
      fromSwarm: s.playlistsFromSwarm ?? 0,
      fromHttp: s.playlistsFromHttp ?? 0,
      checked: w.integrity.checked,
      bad: w.integrity.bad,
      fatal: w.integrity.fatal,
      dropped: w.integrity.dropped,
    };
  });
}

/** The local and remote address of every connected ICE candidate pair of the page's peer links. */
export async function connectedCandidatePairs(page: Page): Promise<Array<[string, string]>> {
  return page.evaluate(`(async () => {
    const engine = window.relaycastViewer.session.peerEngine;
    const out = [];
    for (const link of engine.links.values()) {
      const stats = await link.pc.getStats();
      stats.forEach((r) => {
        if (r.type === 'candidate-pair' && r.state === 'succeeded') out.push([stats.get(r.localCandidateId).address, stats.get(r.remoteCandidateId).address]);
      });
    }
    return out;
  })()`) as Promise<Array<[string, string]>>;
}
