// The latency mode's one rule, as the loader and the page's plain hls.js apply it.
import assert from 'node:assert/strict';
import { isLatencyMode, LATENCY_RULES, liveSyncConfig } from '../../../lib/protocol';
import { relaycastHlsConfig } from '../../../viewer/loader/index';

describe('protocol: latency modes', () => {
  it('standard sits three 2 s segments behind live, low two 1 s segments', () => {
    assert.deepEqual(LATENCY_RULES, { standard: { segmentSeconds: 2, liveSyncSegments: 3 }, low: { segmentSeconds: 1, liveSyncSegments: 2 } });
    assert.deepEqual(liveSyncConfig(), { liveSyncDurationCount: 3, maxLiveSyncPlaybackRate: 1.05 });
    assert.deepEqual(liveSyncConfig('low'), { liveSyncDurationCount: 2, maxLiveSyncPlaybackRate: 1.1 });
    for (const bad of ['', 'LOW', 'ultra', 2, null, undefined]) assert.equal(isLatencyMode(bad), false, String(bad));
  });

  it("the loader's hls.js config follows the mode; an explicit liveSyncDurationCount or hls.js setting still wins", () => {
    const base = { signalingUrl: 'ws://127.0.0.1:1/signal', stream: 'live' };
    const of = (options: object, hls: object = {}) => {
      const { config, session } = relaycastHlsConfig({ ...base, ...options }, hls);
      session.destroy();
      return [config.liveSyncDurationCount, config.maxLiveSyncPlaybackRate];
    };
    assert.deepEqual(of({}), [3, 1.05]);
    assert.deepEqual(of({ latency: 'low' }), [2, 1.1]);
    assert.deepEqual(of({ latency: 'low', liveSyncDurationCount: 4 }), [4, 1.1]);
    assert.deepEqual(of({ latency: 'low' }, { liveSyncDurationCount: 5 }), [5, 1.1]);
  });
});
