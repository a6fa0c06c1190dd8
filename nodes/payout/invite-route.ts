/**
 * The editor's "Invite a supporter" (payout's dialog): an admin route,
 *
 *   POST <httpAdminRoot>/relaycast-payout/<payout node id>/invite   {supporter, stream, origin}
 *
 * with permission `relaycast-payout.write`. It issues a token for the supporter id through the
 * token list of the signaling node this payout names (lib/signaling/supporters.ts: one more
 * `supporterId:token` line, admitted at once and kept in that node's credentials), adds it to
 * payout's own list too when it has one (its summary page then knows it), and answers the viewer
 * link and the headless command (lib/supporter/invite.ts). The token is in that answer only: no
 * log, status or msg carries it.
 */
import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { ID_RULE, isId } from '../../lib/protocol/msgs';
import type { SupporterTokenList } from '../../lib/signaling/supporters';
import { checkOrigin, checkStream, supporterInvite } from '../../lib/supporter/invite';
import { appendCredentialLine, assertLinesEditable } from '../shared/credential-lines';
import type { SignalingNodeApi } from '../signaling/signaling-api';

/** What a running payout node offers its invite. */
export interface InviteSource {
  /** The relaycast-signaling node it reads tokens from ('' for none). */
  signalingId: string;
  /** Full path of its supporter summary, '' when it serves none. */
  summaryPath: string;
  /** Its own token list, when its credentials hold one. */
  ownList?: SupporterTokenList;
}

export interface InviteAnswer {
  supporter: string;
  stream: string;
  token: string;
  link: string;
  command: string;
  renditionsKnown: boolean;
}

const HTTP_STATUS: Record<string, number> = {
  E_INVITE_INPUT: 400,
  E_INVITE_NOT_RUNNING: 404,
  E_INVITE_NO_SIGNALING: 409,
  E_INVITE_HOOK: 409,
  E_INVITE_ENV: 409,
};

type Nodes = NodeAPI['nodes'];

function readBody(body: unknown): { supporter: string; stream: string; origin: URL } {
  const fields = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (!isId(fields.supporter)) throw new RelaycastError('E_INVITE_INPUT', `supporter must be an id of ${ID_RULE}`);
  return { supporter: fields.supporter, stream: checkStream(fields.stream), origin: checkOrigin(fields.origin) };
}

export async function issueInvite(nodes: Nodes, payoutId: string, source: InviteSource | undefined, body: unknown): Promise<InviteAnswer> {
  const { supporter, stream, origin } = readBody(body);
  if (!source) throw new RelaycastError('E_INVITE_NOT_RUNNING', 'no running relaycast-payout node with this id: deploy it first');
  const signaling = source.signalingId ? (nodes.getNode(source.signalingId) as SignalingNodeApi | null) : null;
  if (!signaling?.inviteTarget) {
    throw new RelaycastError('E_INVITE_NO_SIGNALING', 'choose a running relaycast-signaling node in “Tokens from”: it admits the supporter');
  }
  if (!signaling.issueSupporterToken) {
    throw new RelaycastError('E_INVITE_HOOK', 'the relaycastSignalingVerifySupporter setting checks tokens here: issue them where that hook looks');
  }
  // Checked before anything is issued, so a refusal leaves both lists as they were.
  if (source.ownList) assertLinesEditable(nodes, payoutId, 'supporterTokens');
  const token = await signaling.issueSupporterToken(supporter);
  if (source.ownList) {
    const line = `${supporter}:${token}`;
    source.ownList.add(line);
    await appendCredentialLine(nodes, payoutId, 'supporterTokens', line);
  }
  const target = signaling.inviteTarget;
  const invite = supporterInvite({
    origin: origin.origin,
    signalingPath: target.signalingPath,
    viewerPath: target.viewerPath,
    summaryPath: source.summaryPath,
    stream,
    renditions: target.renditions(stream),
    token,
  });
  return { supporter, stream, token, ...invite };
}

/** Registers the route; `sources` maps running payout node ids to what their invite needs. */
export function serveInvites(RED: Pick<NodeAPI, 'httpAdmin' | 'auth' | 'nodes'>, sources: Map<string, InviteSource>): void {
  RED.httpAdmin.post('/relaycast-payout/:id/invite', RED.auth.needsPermission('relaycast-payout.write'), (req: Request, res: Response) => {
    const id = String(req.params.id);
    // The answer holds a secret: no cache may keep it.
    res.set('Cache-Control', 'no-store');
    issueInvite(RED.nodes, id, sources.get(id), req.body).then(
      (answer) => res.json(answer),
      (err: unknown) => {
        const error = toRelaycastError(err, 'E_INVITE');
        res.status(HTTP_STATUS[error.code] ?? 500).json({ code: error.code, error: error.message });
      },
    );
  });
}
