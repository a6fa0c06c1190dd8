/**
 * relaycast-pipeline: the configuration node that makes one hls-watch → r2-upload → manifest
 * pipeline visible in the editor. It owns the pipeline's PipelineBus (lib/pipeline/bus.ts), the
 * delivery receipts and playlist listings its nodes exchange beside their wires, and hands it to
 * the nodes that name it (nodes/shared/pipeline-bus.ts). Nothing to release on close: the bus is
 * memory only, and Node-RED restarts this node's users with it.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import { PipelineBus } from '../../lib/pipeline/bus';
import { registerNodeType } from '../shared/node-types';
import type { PipelineConfigNode } from '../shared/pipeline-bus';

export = function (RED: NodeAPI) {
  function PipelineNode(this: PipelineConfigNode & { bus: PipelineBus }, config: NodeDef) {
    RED.nodes.createNode(this, config);
    this.bus = new PipelineBus();
  }

  registerNodeType(RED, 'relaycast-pipeline', PipelineNode);
};
