/**
 * What a relaycast-signaling node offers the nodes that name it: relaycast-payout checks a
 * supporter's token through this, never by reading the signaling node's credentials. Imported as a
 * type only, so the node files stay separately loadable.
 */
import type { Node } from 'node-red';
import type { SupporterVerifier } from '../../lib/signaling';
import type { SignalingCredentials } from './config';

export interface SignalingNodeApi extends Node<SignalingCredentials> {
  /** The node's token list (or the operator's verify hook); absent until its config parsed. */
  verifySupporter?: SupporterVerifier;
  /**
   * Adds a fresh `supporterId:token` line to the node's token list (admitted at once, stored with
   * its credentials) and resolves to the token. Absent when a verify hook checks tokens instead.
   */
  issueSupporterToken?: (supporterId: string) => Promise<string>;
  /** What an invite's link and command name: full paths, and the renditions a stream has now. */
  inviteTarget?: { signalingPath: string; viewerPath: string; renditions: (stream: string) => string[] };
}
