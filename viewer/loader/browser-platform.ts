/**
 * The peer core's platform in a browser: the page's own WebSocket, RTCPeerConnection, fetch and
 * crypto.subtle. `null` when the page lacks what P2P needs (the loader then plays over HTTP).
 */
import { subtleSha256, type PeerPlatform } from '../../lib/peer/platform';

export function hasWebRtc(): boolean {
  return typeof RTCPeerConnection === 'function';
}

export function browserPlatform(): PeerPlatform | null {
  if (typeof WebSocket !== 'function' || typeof fetch !== 'function' || !globalThis.crypto?.subtle) return null;
  return {
    createWebSocket: (url) => new WebSocket(url) as never,
    createPeerConnection: (config) => {
      if (!hasWebRtc()) throw new Error('WebRTC is not available');
      return new RTCPeerConnection(config) as never;
    },
    fetch: (url, init) => fetch(url, { headers: init.headers, signal: init.signal, credentials: 'omit', mode: 'cors' }) as never,
    sha256: subtleSha256(crypto.subtle as never),
    now: () => performance.now(),
    random: () => Math.random(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as number),
  };
}
