// Serves the swarm bench's panel-less pages (bench/support/bare-page.ts) from the pipeline's own
// loopback server: `/bench/bare.html` (hls.js + the Relaycast loader) and `/bench/hlsjs.html` (plain hls.js).
import path from 'node:path';
import { build } from 'esbuild';
import type { SwarmPipeline } from '../../test/support/swarm';
import type { BarePageConfig } from './bare-page';
import type { LatencyMode } from '../../lib/protocol/latency-mode';

export async function serveBarePages(
  pipeline: SwarmPipeline,
  stream: string,
  candidatePattern: string,
  latency: LatencyMode = 'standard',
): Promise<{ bare: string; hlsjs: string }> {
  const out = await build({
    entryPoints: [path.join(__dirname, 'bare-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  pipeline.serve('/bench/bare-page.js', 'text/javascript', out.outputFiles[0].text);
  const html = (loader: boolean) => {
    const config: BarePageConfig = { loader, masterUrl: `/live/${stream}/master.m3u8`, stream, signalingPath: '/relaycast/signal', candidatePattern, latency };
    return `<!doctype html><html><head><meta charset="utf-8"><script id="bare-config" type="application/json">${JSON.stringify(config)}</script></head>
<body><video id="video" controls muted playsinline autoplay style="width:100%;max-width:960px"></video><script src="/bench/bare-page.js"></script></body></html>`;
  };
  pipeline.serve('/bench/bare.html', 'text/html', html(true));
  pipeline.serve('/bench/hlsjs.html', 'text/html', html(false));
  return { bare: `${pipeline.base}/bench/bare.html`, hlsjs: `${pipeline.base}/bench/hlsjs.html` };
}
