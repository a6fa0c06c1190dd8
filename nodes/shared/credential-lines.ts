/**
 * Adds a line to a running node's stored credential (a `supporterId:token` list), so a token issued
 * from the editor survives the next deploy and restart. Node-RED keeps credentials in its
 * credential store and writes the store to flows_cred.json with the next deploy (any deploy: the
 * store is marked changed); the editor's invite asks for one.
 *
 * A credential that names an environment variable (`${NAME}`) is the operator's to change, not
 * ours: rewriting it would replace the reference by its value. Such a list is refused before
 * anything is issued.
 */
import type { NodeAPI } from 'node-red';
import { RelaycastError } from '../../lib/errors';
import { withLine } from '../../lib/signaling/supporters';

type CredentialStore = Pick<NodeAPI['nodes'], 'getCredentials' | 'addCredentials'>;

function stored(nodes: CredentialStore, nodeId: string): Record<string, unknown> {
  return { ...((nodes.getCredentials(nodeId) as Record<string, unknown> | undefined) ?? {}) };
}

/** Throws E_INVITE_ENV when the credential is (or contains) an environment reference. */
export function assertLinesEditable(nodes: CredentialStore, nodeId: string, field: string): void {
  const value = stored(nodes, nodeId)[field];
  if (typeof value === 'string' && value.includes('${')) {
    throw new RelaycastError('E_INVITE_ENV', `this list comes from an environment variable (${value.trim().slice(0, 60)}): add the line there`);
  }
}

export async function appendCredentialLine(nodes: CredentialStore, nodeId: string, field: string, line: string): Promise<void> {
  const creds = stored(nodes, nodeId);
  await nodes.addCredentials(nodeId, { ...creds, [field]: withLine(typeof creds[field] === 'string' ? creds[field] : '', line) });
}
