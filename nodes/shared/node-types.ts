/**
 * Typed bridges between lib/'s own types and Node-RED's, so the shells need no `as unknown as`.
 * Kept to what @types/node-red cannot say by itself.
 */
import type { Node, NodeAPI, NodeAPISettingsWithData, NodeDef, NodeMessage } from 'node-red';
import type { GapMsg, LifecycleMsg, PartMsg, PlaylistMsg, SegmentMsg } from '../../lib/protocol/msgs';

/** A msg between nodes (lib/protocol/msgs). */
export type ContractMsg = SegmentMsg | PartMsg | GapMsg | LifecycleMsg | PlaylistMsg;

/**
 * A contract msg as Node-RED's NodeMessage. A shallow copy: TypeScript gives an interface no index
 * signature, but gives one to the object type of a spread, which is what NodeMessage asks for.
 */
export function asNodeMessage(msg: ContractMsg): NodeMessage {
  return { ...msg };
}

/** The error msg a source node reports a failure with when no msg of its own carries it (Catch then sees the code). */
export function errorMsg(err: { code: string; message: string }): NodeMessage {
  return { topic: 'error', payload: { code: err.code, message: err.message } };
}

/** The runtime with the settings a node reads beyond Node-RED's own (its settings hooks). */
export type RelaycastRED<Extra extends object = object> = NodeAPI<NodeAPISettingsWithData & Extra>;

/** A runtime setting a node type declares (a hook such as relaycastSignalingVerifyClient). */
type SettingDeclaration = { value: unknown; exportable?: boolean };

/**
 * RED.nodes.registerType with the node's credentials typed once, by its constructor's `this`. Left
 * to itself, TypeScript infers them from the field list (`unknown` each) and then refuses the
 * constructor that reads them as strings.
 */
export function registerNodeType<TNode extends Node<object>, TDef extends NodeDef>(
  RED: Pick<NodeAPI, 'nodes'>,
  type: string,
  constructor: (this: TNode, def: TDef) => void,
  options: {
    credentials?: { [K in keyof TNode['credentials']]-?: { type: 'text' | 'password' } };
    settings?: Record<string, SettingDeclaration>;
  } = {},
): void {
  RED.nodes.registerType<TNode, TDef, Record<string, unknown>, TNode['credentials']>(type, constructor, options);
}
