// Chromium in a home. playwright-core launches the executable it is given and talks to it over a
// pipe, so a wrapper script that execs Chromium inside the home's host namespace is all it takes.
// In a home Chromium has no camera or microphone permission, so its host candidates are mDNS
// names, as on every real viewer's browser; the lab origin (plain HTTP) is treated as a secure
// context, as an HTTPS origin would be, so the loader has crypto.subtle.
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Home } from './topology';

export const CHROMIUM_BINARY = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface HomeChromium {
  executablePath: string;
  args: string[];
}

export function homeChromium(dir: string, home: Home, originUrl: string): HomeChromium {
  const executablePath = path.join(dir, `chromium-${home.host}.sh`);
  writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${home.host} ${CHROMIUM_BINARY} "$@"\n`);
  chmodSync(executablePath, 0o755);
  return { executablePath, args: [`--unsafely-treat-insecure-origin-as-secure=${new URL(originUrl).origin}`] };
}
