// Headless Debian chromium driven by playwright-core (never a downloaded browser). The flags keep
// Chromium from reaching for Google's services, which this machine's closed network refuses.
import os from 'node:os';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `executablePath`: another way to start the same chromium (the network lab's per-home wrapper). */
export function launchChromium(extraArgs: string[] = [], executablePath = CHROMIUM_PATH): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

/**
 * WebRTC specs run in a network namespace that has only loopback (scripts/loopback-only.sh, which
 * `npm test` uses): Chromium gathers candidates on every interface and answers peer-reflexive
 * ones, so filtering candidates alone would still let it send to the machine's other addresses.
 */
export function requireLoopbackOnlyNetwork(spec: string): void {
  const others = Object.keys(os.networkInterfaces()).filter((name) => name !== 'lo');
  if (others.length > 0) {
    throw new Error(`WebRTC specs run only where loopback is the only interface (found ${others.join(', ')}): bash scripts/loopback-only.sh npx mocha ${spec}`);
  }
}

/** Chromium flags for WebRTC on loopback (reference/p2p.md): loopback candidates, no real capture. */
export const WEBRTC_LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

/** The viewer page URL with ICE confined to 127.0.0.1 candidates. */
export function viewerUrl(base: string, stream: string): string {
  return `${base}/live/${stream}/?candidates=${encodeURIComponent(' 127\\.0\\.0\\.1 ')}`;
}
