// One place that points node-red-node-test-helper at a Node-RED runtime. CI runs the runtime
// specs a second time under Node 22 with node-red 5 by setting RELAYCAST_NODE_RED to that install.
import helper from 'node-red-node-test-helper';

const nodeRedPrefix = process.env.RELAYCAST_NODE_RED;
const nodeRedMain = nodeRedPrefix ? require.resolve('node-red', { paths: [nodeRedPrefix] }) : require.resolve('node-red');
helper.init(nodeRedMain);

if (nodeRedPrefix) {
  // Say which runtime ran, so a CI log shows the second pass really was node-red 5 on Node 22.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeRedVersion = (require(require.resolve('node-red/package.json', { paths: [nodeRedPrefix] })) as { version: string }).version;
  console.log(`node-red ${nodeRedVersion} on Node ${process.version}`);
}

export { helper };

/** Loads a compiled node module from dist/, the code the package ships. */
export function distNode(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`../../dist/nodes/${name}/${name}.js`);
}
