// Debian's caddy as a child process for the "put it online" specs: the README's Caddyfile
// (docs/deploy/Caddyfile) with its domain and upstream swapped for loopback ones, HTTPS from Caddy's
// own CA (`tls internal`), and data and config directories in a temporary folder, so it neither
// touches /var/lib/caddy nor installs its root in the machine's trust store.
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { untilValue } from './until';

export const DOCS_CADDYFILE = path.resolve(__dirname, '../../docs/deploy/Caddyfile');
/** What the docs' Caddyfile names, and the spec replaces. */
const DOCS_SITE = 'live.example.com {';
const DOCS_UPSTREAM = 'reverse_proxy 127.0.0.1:1880';

export interface Caddy {
  /** PEM of the root of Caddy's local CA (what an operator would install on their devices). */
  rootCaPem: string;
  /**
   * base64 SHA-256 of the intermediate CA's public key: Chromium's --ignore-certificate-errors-spki-list
   * accepts exactly the chains that contain it, so the browser trusts this CA and no other bad cert.
   */
  caSpkiHash: string;
  output(): string;
  stop(): Promise<void>;
}

function exactlyOnce(text: string, what: string): void {
  const count = text.split(what).length - 1;
  if (count !== 1) throw new Error(`docs/deploy/Caddyfile must contain "${what}" exactly once (found ${count}); the Caddy spec replaces it`);
}

/**
 * The docs' Caddyfile with its site served at `https://127.0.0.1:<httpsPort>` with `tls internal`,
 * proxying to `upstream` (host:port), plus `extraSites` (Caddyfile text) after it.
 */
export function caddyfileFromDocs(options: { httpsPort: number; httpPort: number; upstream: string; extraSites?: string }): string {
  const docs = readFileSync(DOCS_CADDYFILE, 'utf8');
  exactlyOnce(docs, DOCS_SITE);
  exactlyOnce(docs, DOCS_UPSTREAM);
  const global = [
    '{',
    '\tadmin off',
    `\thttp_port ${options.httpPort}`,
    `\thttps_port ${options.httpsPort}`,
    // The root stays in Caddy's data folder: the spec hands it to its clients itself.
    '\tskip_install_trust',
    '}',
  ].join('\n');
  const site = docs.replace(DOCS_SITE, `https://127.0.0.1:${options.httpsPort} {\n\ttls internal`).replace(DOCS_UPSTREAM, `reverse_proxy ${options.upstream}`);
  return `${global}\n\n${site}\n${options.extraSites ?? ''}`;
}

function spkiHash(pem: string): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** GET over HTTPS trusting only `ca`; resolves with the status, or undefined while it fails. */
export function httpsStatus(url: string, ca: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Starts caddy on `caddyfile`; resolves once `readyUrl` answers over HTTPS with a cert from its CA. */
export async function startCaddy(caddyfile: string, readyUrl: string): Promise<Caddy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-caddy-'));
  const file = path.join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  const child = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', file], {
    // Caddy keeps its CA and certificates under $XDG_DATA_HOME/caddy, its autosaved config under
    // $XDG_CONFIG_HOME/caddy.
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (chunk: Buffer): void => {
    out = (out + chunk.toString()).slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ca = path.join(dir, 'data', 'caddy', 'pki', 'authorities', 'local');
    const rootCaPem = await untilValue(
      () => {
        if (gone) throw new Error('caddy exited');
        return existsSync(path.join(ca, 'root.crt')) && existsSync(path.join(ca, 'intermediate.crt'))
          ? readFileSync(path.join(ca, 'root.crt'), 'utf8')
          : undefined;
      },
      "caddy's local CA",
      30_000,
      50,
    );
    await untilValue(
      async () => {
        if (gone) throw new Error('caddy exited');
        return httpsStatus(readyUrl, rootCaPem);
      },
      `caddy to answer ${readyUrl} over HTTPS`,
      30_000,
      100,
    );
    return { rootCaPem, caSpkiHash: spkiHash(readFileSync(path.join(ca, 'intermediate.crt'), 'utf8')), output: () => out, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- caddy output ---\n${out.slice(-4000)}`, { cause: err });
  }
}
