/**
 * The Node-RED settings file the demo writes into its throwaway userDir. `nodesDir` points at the
 * repository root, so Node-RED loads this package as a module: its nodes, locales and examples/
 * (Import ▸ Examples), exactly as after a palette install.
 *
 * Reachable from other machines (HOST not loopback), the editor would let anyone on the network
 * run code on this one, so it then asks for a login: user `admin`, the password from the
 * RELAYCAST_DEMO_ADMIN_PASSWORD environment variable (read by Node-RED at start, never written
 * here). Without that variable the editor and admin API are off; the stream is served anyway.
 */
export const ADMIN_PASSWORD_ENV = 'RELAYCAST_DEMO_ADMIN_PASSWORD';

export interface DemoSettingsOptions {
  repoRoot: string;
  port: number;
  /** Node-RED's uiHost; default 127.0.0.1. */
  host?: string;
  /** Only this machine can connect: the editor needs no login. */
  loopbackOnly?: boolean;
  /** Whether the password variable is set (decides between a login and no editor at all). */
  adminPassword?: boolean;
}

/** adminAuth with one user whose password comes from the environment, compared in constant time. */
const ADMIN_AUTH = `{
  type: 'credentials',
  users: (username) => Promise.resolve(username === 'admin' ? { username: 'admin', permissions: '*' } : null),
  authenticate: (username, password) => {
    const { createHash, timingSafeEqual } = require('node:crypto');
    const digest = (text) => createHash('sha256').update(String(text)).digest();
    const expected = process.env.${ADMIN_PASSWORD_ENV} || '';
    const ok = username === 'admin' && expected !== '' && timingSafeEqual(digest(password), digest(expected));
    return Promise.resolve(ok ? { username: 'admin', permissions: '*' } : null);
  },
}`;

export function demoSettingsFile(options: DemoSettingsOptions): string {
  const settings: Record<string, unknown> = {
    uiPort: options.port,
    uiHost: options.host ?? '127.0.0.1',
    flowFile: 'flows.json',
    flowFilePretty: true,
    // The demo's credentials are ${ENV} placeholders, plus the supporter tokens of this local demo
    // (demo/supporter.ts, the editor's invites) in its own run folder, written 0600.
    credentialSecret: false,
    nodesDir: [options.repoRoot],
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    httpNodeCors: { origin: '*', methods: 'GET,HEAD,OPTIONS' },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
  };
  const guarded = options.loopbackOnly === false;
  if (guarded && !options.adminPassword) settings.httpAdminRoot = false;
  const login = guarded && options.adminPassword ? `\nmodule.exports.adminAuth = ${ADMIN_AUTH};\n` : '';
  return `// Written by demo/start.ts at every start; edit demo/settings.ts instead.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n${login}`;
}
