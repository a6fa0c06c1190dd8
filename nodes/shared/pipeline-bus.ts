/**
 * Which PipelineBus (lib/pipeline/bus.ts) a hls-watch (or ingest), r2-upload or manifest node joins.
 *
 * With its Pipeline property set: the bus of that relaycast-pipeline config node, which the editor
 * shows with its users. Node-RED restarts every user of a config node that changes, so a bus never
 * outlives the nodes that hold it.
 *
 * Without it (flows saved before the property existed): the default bus of the node's flow tab,
 * which lives while some node of that tab holds it. Existing one-tab flows keep exactly-once delivery
 * and the retention guard unchanged; a second tab with the same stream id gets a bus of its own
 * instead of, as before, the one bus of the whole Node-RED process.
 */
import type { Node, NodeAPI } from 'node-red';
import { RelaycastError } from '../../lib/errors';
import { PipelineBus } from '../../lib/pipeline/bus';

/** What a relaycast-pipeline config node offers the nodes that name it. */
export interface PipelineConfigNode extends Node {
  readonly bus: PipelineBus;
}

export interface PipelineLease {
  readonly bus: PipelineBus;
  /** Called on close: the last node of a tab to release its default bus drops it. */
  release(): void;
}

/** Per runtime (RED.events, shared by every node set, as in telemetry.ts): flow tab id → its default bus. */
const defaultBuses = new WeakMap<object, Map<string, { bus: PipelineBus; users: number }>>();

/**
 * The bus `node` joins; throws `code` when the Pipeline property names a config node that is not
 * deployed (deleted or disabled): a private bus would silently drop the guarantees.
 */
export function joinPipeline(RED: NodeAPI, node: Node, pipelineId: string | undefined, code: string): PipelineLease {
  if (pipelineId) {
    const pipeline = RED.nodes.getNode(pipelineId) as PipelineConfigNode | null;
    if (!pipeline?.bus)
      throw new RelaycastError(code, `the pipeline config node ${pipelineId} is not deployed (deleted or disabled): choose a pipeline or none`);
    return { bus: pipeline.bus, release: () => undefined };
  }
  const key: object = RED.events ?? RED;
  let tabs = defaultBuses.get(key);
  if (!tabs) defaultBuses.set(key, (tabs = new Map()));
  const tab = node.z ?? '';
  let entry = tabs.get(tab);
  if (!entry) tabs.set(tab, (entry = { bus: new PipelineBus(), users: 0 }));
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    bus: held.bus,
    release: () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0 && tabs.get(tab) === held) tabs.delete(tab);
    },
  };
}
