/**
 * The peer core's platform in Node, for the headless supporter: `ws` for the signaling socket,
 * Node's global fetch, node:crypto's webcrypto for SHA-256, and @roamhq/wrtc (libwebrtc, a
 * prebuilt binary shipped as an npm package) for RTCPeerConnection. The engine is the browser
 * viewer's, unchanged; only this file differs.
 *
 * Chosen over werift by bench/webrtc-libraries.ts (same run, loopback): @roamhq/wrtc moved
 * DataChannel bytes about 7× faster at about 1/8 of the CPU per MB. It is an optional dependency
 * so the package still installs where no prebuilt binary exists; the supporter then fails with
 * E_SUPPORTER_WEBRTC instead of the package failing to install.
 */
import { webcrypto } from 'node:crypto';
import WebSocket from 'ws';
import { RelaycastError } from '../errors';
import { subtleSha256, type DataChannelLike, type PeerConnectionLike, type PeerPlatform } from '../peer/platform';

export interface RtcModule {
  RTCPeerConnection: new (config: unknown) => PeerConnectionLike;
}

/** How often a channel that is over its low-water mark checks whether it has drained. */
export const DRAIN_POLL_MS = 20;

/** Loads the WebRTC library, or throws E_SUPPORTER_WEBRTC with what to do. */
export function loadWebRtc(load: (name: string) => unknown = require): RtcModule {
  try {
    const mod = load('@roamhq/wrtc') as Partial<RtcModule> | undefined;
    if (typeof mod?.RTCPeerConnection === 'function') return mod as RtcModule;
  } catch {
    // fall through to the error below
  }
  throw new RelaycastError(
    'E_SUPPORTER_WEBRTC',
    `WebRTC for Node (@roamhq/wrtc) is not available for ${process.platform}-${process.arch} on Node ${process.version}: install it with "npm install @roamhq/wrtc"`,
  );
}

/**
 * @roamhq/wrtc sometimes never fires `bufferedamountlow` after the buffer drains (observed on
 * loopback: bufferedAmount 0 and no event), which would leave an upload waiting forever. While a
 * channel is at or above its low-water mark after a send, a short poll fires the event itself.
 */
export function withDrainWatch(channel: DataChannelLike, timers: Pick<PeerPlatform, 'setTimeout' | 'clearTimeout'>): DataChannelLike {
  let handler: DataChannelLike['onbufferedamountlow'] = null;
  let timer: unknown;
  const fire = (): void => {
    timer = undefined;
    handler?.(undefined);
  };
  const watch = (): void => {
    if (timer !== undefined || channel.readyState !== 'open') return;
    timer = timers.setTimeout(function check() {
      if (channel.readyState !== 'open') {
        timer = undefined;
        return;
      }
      if (channel.bufferedAmount <= channel.bufferedAmountLowThreshold) fire();
      else timer = timers.setTimeout(check, DRAIN_POLL_MS);
    }, DRAIN_POLL_MS);
  };
  const stop = (): void => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };
  channel.onbufferedamountlow = () => {
    stop();
    handler?.(undefined);
  };
  return new Proxy(channel, {
    get(target, key) {
      if (key === 'onbufferedamountlow') return handler;
      if (key === 'send') {
        return (data: ArrayBuffer | Uint8Array) => {
          target.send(data);
          if (target.bufferedAmount > target.bufferedAmountLowThreshold) watch();
        };
      }
      if (key === 'close')
        return () => {
          stop();
          target.close();
        };
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, key, value) {
      if (key === 'onbufferedamountlow') {
        handler = value as DataChannelLike['onbufferedamountlow'];
        if (!handler) stop();
        return true;
      }
      return Reflect.set(target, key, value, target);
    },
  });
}

/** The RTCPeerConnection with every DataChannel it makes or receives wrapped by withDrainWatch. */
function wrapPeerConnection(pc: PeerConnectionLike, timers: Pick<PeerPlatform, 'setTimeout' | 'clearTimeout'>): PeerConnectionLike {
  let onData: PeerConnectionLike['ondatachannel'] = null;
  pc.ondatachannel = (event) => onData?.({ channel: withDrainWatch(event.channel, timers) });
  return new Proxy(pc, {
    get(target, key) {
      if (key === 'ondatachannel') return onData;
      if (key === 'createDataChannel')
        return (label: string, options?: { ordered?: boolean }) => withDrainWatch(target.createDataChannel(label, options), timers);
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set(target, key, value) {
      if (key === 'ondatachannel') {
        onData = value as PeerConnectionLike['ondatachannel'];
        return true;
      }
      return Reflect.set(target, key, value, target);
    },
  });
}

export interface NodePlatformOptions {
  /** The WebRTC library (tests pass a fake); loaded lazily on the first connection otherwise. */
  rtc?: RtcModule;
  fetch?: typeof fetch;
  /**
   * Local address the signaling socket binds to. Signaling budgets messages per client address, so
   * synthetic viewers sharing one machine each take their own (127.0.x.y on loopback), as homes would.
   */
  localAddress?: string;
}

export function nodePlatform(options: NodePlatformOptions = {}): PeerPlatform {
  let rtc = options.rtc;
  const doFetch = options.fetch ?? fetch;
  const timers = {
    setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
  return {
    // ws's client has the browser's onopen/onclose/onerror shape, but its onmessage hands text
    // frames over as Buffers: the engine expects strings, as a browser gives them.
    createWebSocket: (url) => {
      const ws = new WebSocket(url, { maxPayload: 1024 * 1024, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
      let handler: ((e: { data: unknown }) => void) | null = null;
      Object.defineProperty(ws, 'onmessage', {
        get: () => handler,
        set: (fn: typeof handler) => {
          handler = fn;
        },
      });
      ws.on('message', (data, isBinary) => handler?.({ data: isBinary ? data : data.toString() }));
      ws.on('error', () => {
        /* onerror/onclose report it; an unhandled 'error' would throw */
      });
      return ws as never;
    },
    createPeerConnection: (config) => {
      rtc ??= loadWebRtc();
      return wrapPeerConnection(new rtc.RTCPeerConnection(config), timers);
    },
    fetch: (url, init) => doFetch(url, { headers: init.headers, signal: init.signal }) as never,
    sha256: subtleSha256(webcrypto.subtle as never),
    now: () => performance.now(),
    random: () => Math.random(),
    ...timers,
  };
}
