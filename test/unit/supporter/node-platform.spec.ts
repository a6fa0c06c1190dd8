// The Node adapter's own logic: the drain watch that stands in for a missed bufferedamountlow, the
// text frames ws hands over as Buffers, and the clear error when the WebRTC binary is missing.
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { loadWebRtc, nodePlatform, withDrainWatch } from '../../../lib/supporter/node-platform';
import type { DataChannelLike } from '../../../lib/peer/platform';
import { until } from '../peer/fakes';

type FakeChannel = { -readonly [K in keyof DataChannelLike]: DataChannelLike[K] } & { sent: number };

function channel(): FakeChannel {
  return {
    readyState: 'open',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 100,
    binaryType: 'arraybuffer',
    sent: 0,
    send(data: ArrayBuffer | Uint8Array) {
      this.sent++;
      this.bufferedAmount += data.byteLength;
    },
    close() {
      this.readyState = 'closed';
    },
    onopen: null,
    onclose: null,
    onerror: null,
    onmessage: null,
    onbufferedamountlow: null,
  };
}

describe('node platform adapter', () => {
  it('fires bufferedamountlow itself when the library never does', async () => {
    const raw = channel();
    const wrapped = withDrainWatch(raw, { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
    let drains = 0;
    wrapped.onbufferedamountlow = () => {
      drains++;
    };
    wrapped.send(new Uint8Array(500));
    assert.equal(raw.sent, 1);
    raw.bufferedAmount = 50; // drained below the threshold, and the library stays silent
    await until(() => drains === 1, 'a drain from the watch');
    raw.onbufferedamountlow?.(undefined); // the library's own event still gets through
    assert.equal(drains, 2);
  });

  it('does not fire while the buffer stays above the low-water mark, nor after close', async () => {
    const raw = channel();
    const wrapped = withDrainWatch(raw, { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
    let drains = 0;
    wrapped.onbufferedamountlow = () => {
      drains++;
    };
    wrapped.send(new Uint8Array(500));
    wrapped.close();
    raw.bufferedAmount = 0;
    // A later, unrelated watch proves time passed without a drain from the closed one.
    const other = channel();
    const otherWrapped = withDrainWatch(other, { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
    let otherDrains = 0;
    otherWrapped.onbufferedamountlow = () => {
      otherDrains++;
    };
    otherWrapped.send(new Uint8Array(500));
    other.bufferedAmount = 0;
    await until(() => otherDrains === 1, 'the other channel drained');
    assert.equal(drains, 0);
  });

  it('says E_SUPPORTER_WEBRTC when the WebRTC library cannot be loaded', () => {
    assert.throws(
      () =>
        loadWebRtc(() => {
          throw new Error('Cannot find module');
        }),
      (err: unknown) => (err as { code?: string }).code === 'E_SUPPORTER_WEBRTC',
    );
    assert.throws(
      () => loadWebRtc(() => ({})),
      (err: unknown) => (err as { code?: string }).code === 'E_SUPPORTER_WEBRTC',
    );
  });

  it('hands text frames to the engine as strings, as a browser does', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (sock) => sock.send('{"type":"hi"}'));
    const port = (wss.address() as { port: number }).port;
    const ws = nodePlatform().createWebSocket(`ws://127.0.0.1:${port}/`);
    const got: unknown[] = [];
    ws.onmessage = (e) => got.push(e.data);
    await until(() => got.length === 1, 'a message');
    assert.equal(got[0], '{"type":"hi"}');
    ws.close();
    await new Promise((r) => wss.close(r));
  });
});
