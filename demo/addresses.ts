/**
 * Which address the demo binds and which one it prints, for `npm start` and `HOST=0.0.0.0 npm start`.
 *
 * By default everything listens on 127.0.0.1 and every URL says 127.0.0.1. With HOST set to a
 * wildcard (0.0.0.0 or ::) Node-RED and the local S3 server listen on every interface, and every
 * URL a phone will use names this machine's LAN address (PUBLIC_HOST, or the first non-internal
 * IPv4 address): the printed editor/viewer/playlist URLs, and the segment URLs in the playlists
 * (the bucket's public base URL), since the player on the phone fetches segments from there.
 * r2-upload itself still talks to the local S3 server over loopback: it runs on this machine.
 * The viewer page finds signaling on its own host (resolveSignalingUrl in viewer/loader/options.ts).
 */
import type os from 'node:os';
import { RelaycastError } from '../lib/errors';

export interface DemoAddressInput {
  /** HOST: the address to listen on; default 127.0.0.1. */
  host?: string;
  /** PUBLIC_HOST: the name or address others reach this machine at (wins over the guess). */
  publicHost?: string;
  /** os.networkInterfaces(), where the LAN address is guessed from. */
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

export interface DemoAddresses {
  /** What Node-RED (uiHost) and the local S3 server listen on. */
  bindHost: string;
  /** The host every printed and published URL uses. */
  publicHost: string;
  /** Only this machine can connect (the editor needs no password then). */
  loopbackOnly: boolean;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

export function demoAddresses(input: DemoAddressInput): DemoAddresses {
  const bindHost = (input.host ?? '').trim() || '127.0.0.1';
  const loopbackOnly = isLoopbackHost(bindHost);
  const override = (input.publicHost ?? '').trim();
  if (override) return { bindHost, publicHost: override, loopbackOnly };
  if (!WILDCARDS.has(bindHost)) return { bindHost, publicHost: bindHost, loopbackOnly };
  const lan = Object.values(input.interfaces)
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  if (!lan) {
    throw new RelaycastError(
      'E_DEMO_HOST',
      `HOST=${bindHost} listens on every interface, but this machine has no LAN IPv4 address to print; set PUBLIC_HOST to the name or address other devices reach it at`,
    );
  }
  return { bindHost, publicHost: lan.address, loopbackOnly };
}

/** `http://<host>:<port>`, with an IPv6 address in brackets. */
export function httpOrigin(host: string, port: number): string {
  const inUrl = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${inUrl}:${port}`;
}

export interface DemoUrls {
  editor: string;
  viewer: string;
  master: string;
  health: string;
  signaling: string;
  /** The local S3 bucket as players fetch it (r2-upload's public base URL). */
  bucketPublicBase: string;
}

/** Every URL the demo prints or publishes, on the public host. */
export function demoUrls(addresses: DemoAddresses, ports: { nodeRed: number; s3: number }, bucket: string): DemoUrls {
  const base = httpOrigin(addresses.publicHost, ports.nodeRed);
  return {
    editor: `${base}/`,
    viewer: `${base}/live/demo/`,
    master: `${base}/live/demo/master.m3u8`,
    health: `${base}/live/demo/health.json`,
    signaling: `${base.replace(/^http:/, 'ws:')}/relaycast/signal`,
    bucketPublicBase: `${httpOrigin(addresses.publicHost, ports.s3)}/${bucket}`,
  };
}
