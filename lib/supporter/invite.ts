/**
 * What an operator hands a supporter: the viewer page link whose fragment carries the token (a
 * browser tab that relays while it watches, viewer/page/viewer-page.ts reads it) and the one-line
 * command for the headless peer (lib/supporter/cli.ts). Composed in one place, so the editor's
 * invite, the README and the specs show the same thing.
 */
import { RelaycastError } from '../errors';
import { isMediaId } from '../protocol';
import { ID_RULE } from '../protocol/msgs/ids';
import { MAX_SWARMS } from './config';

export interface InviteInput {
  /** Where the operator's browser reaches Node-RED, e.g. `https://live.example.org` (no path). */
  origin: string;
  /** Full paths on that origin (httpNodeRoot included). */
  signalingPath: string;
  viewerPath: string;
  /** payout's supporter summary (`…/relaycast/payout`), '' when it serves none. */
  summaryPath: string;
  stream: string;
  /** The stream's renditions signaling knows now; none before the stream has started. */
  renditions: string[];
  token: string;
}

export interface Invite {
  link: string;
  command: string;
  /** Whether the command names the stream's renditions (false: a placeholder until the stream runs). */
  renditionsKnown: boolean;
}

const MAX_ORIGIN_CHARS = 200;

function refuse(message: string): never {
  throw new RelaycastError('E_INVITE_INPUT', message);
}

/** `origin` as scheme://host[:port], or E_INVITE_INPUT. */
export function checkOrigin(origin: unknown): URL {
  if (typeof origin !== 'string' || origin.length > MAX_ORIGIN_CHARS) refuse('origin must be the editor page’s origin, e.g. https://live.example.org');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return refuse('origin must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('origin must start with http:// or https://');
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) refuse('origin must be scheme://host[:port] only');
  return url;
}

export function checkStream(stream: unknown): string {
  if (!isMediaId(stream)) refuse(`stream must be an id of ${ID_RULE}`);
  return stream;
}

export function supporterInvite(input: InviteInput): Invite {
  const origin = checkOrigin(input.origin);
  const stream = checkStream(input.stream);
  const base = origin.origin;
  const link = `${base}${input.viewerPath}/${stream}/#supporter=${encodeURIComponent(input.token)}`;
  const signaling = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}${input.signalingPath}`;
  const renditions = input.renditions.slice(0, MAX_SWARMS);
  const renditionsKnown = renditions.length > 0;
  const carry = renditionsKnown ? renditions.map((r) => `${stream}/${r}`).join(',') : `${stream}/<rendition>`;
  const words = [
    // The CLI reads the token from the environment, never from its arguments (`ps` shows those).
    `RELAYCAST_SUPPORTER_TOKEN=${input.token}`,
    'npx relaycast-supporter',
    `--signaling ${signaling}`,
    `--carry ${carry}`,
    ...(input.summaryPath ? [`--credit-url ${base}${input.summaryPath}/me`] : []),
  ];
  return { link, command: words.join(' '), renditionsKnown };
}
