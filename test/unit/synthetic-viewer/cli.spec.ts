import assert from 'node:assert/strict';
import { parseArgs } from '../../../devtools/synthetic-viewer/cli';
import { syntheticCommand } from '../../../devtools/synthetic-viewer';

describe('synthetic-viewer command line', () => {
  const base = ['--master', 'http://198.18.0.1:80/live/lab/master.m3u8', '--signal', 'ws://198.18.0.1:80/relaycast/signal'];
  it('reports only at the end unless asked for a report line every so often', () => {
    assert.equal(parseArgs(base).reportEveryMs, 0);
    assert.equal(parseArgs([...base, '--report-every-ms', '1000']).reportEveryMs, 1000);
    assert.throws(() => parseArgs([...base, '--report-every-ms', '-1']), { code: 'E_SYNTHETIC_CONFIG' });
  });
  it('passes the report interval on to the process a bench spawns in a namespace', () => {
    const argv = syntheticCommand({ masterUrl: 'http://h/m.m3u8', signalingUrl: 'ws://h/s', viewers: 2, seconds: 9, reportEveryMs: 1000 });
    assert.deepEqual(argv.slice(-2), ['--report-every-ms', '1000']);
    assert.deepEqual(parseArgs(argv.slice(argv.findIndex((a) => a === '--master'))).reportEveryMs, 1000);
  });
});
