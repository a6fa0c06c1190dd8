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
}
