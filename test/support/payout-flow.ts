// The flow the relaycast-payout runtime specs deploy: the payout node `pay` with helper nodes on
// both outputs (`out`: statements and exports, `audit`), a Catch (`caught`) and a Complete
// (`completed`), whichever ledger it uses; and the two waits those specs make on it.
import type { TestFlows } from 'node-red-node-test-helper';
import { helper } from './node-red';

export type PayoutMsg = { topic?: string; payload?: unknown; replayed?: boolean; filename?: string; error?: { code?: string; message: string } };

/** `payout` is the node's config; `configNodes` (e.g. relaycast-postgres) are deployed beside it. */
export function payoutFlow(payout: Record<string, unknown>, configNodes: Array<Record<string, unknown>> = []): TestFlows {
  const nodes = [
    { id: 'f1', type: 'tab' },
    ...(configNodes as TestFlows),
    { id: 'pay', z: 'f1', type: 'relaycast-payout', ...payout, wires: [['out'], ['audit']] },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'audit', z: 'f1', type: 'helper' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
    { id: 'completer', z: 'f1', type: 'complete', scope: ['pay'], uncaught: false, wires: [['completed']] },
    { id: 'completed', z: 'f1', type: 'helper' },
  ];
  return nodes;
}

/** The next msg helper node `id` receives. */
export const nextMsg = (id: string): Promise<PayoutMsg> => new Promise((resolve) => helper.getNode(id).once('input', resolve));

/** Sends `msg` to the payout node and waits until it called done() for it (Complete fired). */
export async function sendToPayout(msg: Record<string, unknown>): Promise<void> {
  const done = nextMsg('completed');
  helper.getNode('pay').receive(msg);
  await done;
}
