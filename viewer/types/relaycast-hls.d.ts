// The classic-script build (package export "./viewer/classic", dist/viewer/relaycast-hls.js) exports
// nothing: it defines `window.Relaycast`. The API's types are those of the module build.
import type { relaycastHlsConfig } from './relaycast-hls.mjs';

export type { RelaycastEngine, RelaycastOptions, RelaycastSession, RelaycastStats } from './relaycast-hls.mjs';

declare global {
  var Relaycast: { relaycastHlsConfig: typeof relaycastHlsConfig };
}
