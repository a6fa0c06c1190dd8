// Classic-script build of the loader: `<script src=".../relaycast-hls.js">` defines window.Relaycast.
import { relaycastHlsConfig, RelaycastSession } from '../loader/index';

(globalThis as unknown as { Relaycast: unknown }).Relaycast = { relaycastHlsConfig, RelaycastSession };
