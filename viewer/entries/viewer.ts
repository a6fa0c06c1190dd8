// The bundled viewer page: hls.js with the Relaycast loader, and the stats panel.
import { startViewer } from '../page/viewer-page';

startViewer();
