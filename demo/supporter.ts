/**
 * The demo's one supporter, so a newcomer sees supporter rewards work within a minute: `npm start`
 * prints a viewer link carrying its token (`…/live/demo/#supporter=…`); a tab opened on it joins
 * the swarm as that supporter, the other tabs get segments from it, and the flow's "settle now"
 * inject pays it. A browser tab, not a headless peer: the demo then starts no extra process and
 * needs no native WebRTC module (@roamhq/wrtc is optional), and on its loopback setup a tab is
 * what the newcomer already opens.
 *
 * The token is made once per run folder and kept there (0600), like the ingest stream key, and is
 * written into the new userDir's credentials as the signaling node's token list: the same list the
 * editor's "Invite a supporter" adds to, never into a flow file of the repository.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseSupporterTokens } from '../lib/signaling/supporters';

export const DEMO_SUPPORTER = 'demo-supporter';
/** The demo flow's relaycast-signaling node, whose token list admits supporters. */
export const DEMO_SIGNALING_ID = 'd0000000000000b4';

/** The token kept in the run folder, else a new one kept there. */
export function demoSupporterToken(runDir: string): string {
  const file = path.join(runDir, 'supporter-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The demo's credentials with the supporter in the signaling node's token list (checked by the runtime's own rule). */
export function withDemoSupporter(credentials: Record<string, unknown>, token: string): Record<string, unknown> {
  const supporterTokens = `${DEMO_SUPPORTER}:${token}`;
  parseSupporterTokens(supporterTokens);
  const signaling = (credentials[DEMO_SIGNALING_ID] as Record<string, unknown> | undefined) ?? {};
  return { ...credentials, [DEMO_SIGNALING_ID]: { ...signaling, supporterTokens } };
}

/** Whether a kept userDir still admits the token (an older demo's, or an operator's edited list, may not). */
export function userDirAdmits(userDir: string, token: string): boolean {
  const file = path.join(userDir, 'flows_cred.json');
  return existsSync(file) && readFileSync(file, 'utf8').includes(`${DEMO_SUPPORTER}:${token}`);
}

/** The viewer page link that makes a tab the demo supporter. */
export function demoSupporterLink(viewerUrl: string, token: string): string {
  return `${viewerUrl.replace(/\/?$/, '/')}#supporter=${token}`;
}
