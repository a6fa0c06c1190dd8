/**
 * The peer core's platform in a browser: the page's own WebSocket, RTCPeerConnection, fetch and
 * crypto. `null` when the page lacks what P2P needs (the loader then plays over HTTP).
 *
 * Browsers give crypto.subtle only to secure contexts (HTTPS, or localhost): a page served over
 * plain HTTP at a LAN address or a host name has none. Verification then runs on a well-kept pure
 * JavaScript SHA-256 (@noble/hashes), so such a page still shares peer to peer and still checks
 * every peer byte against the announced hash (bench/sha256-fallback.ts prints what it costs).
 */
import { sha256 as jsSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { subtleSha256, type PeerPlatform } from '../../lib/peer/platform';

export function hasWebRtc(): boolean {
  return typeof RTCPeerConnection === 'function';
}

/** Which SHA-256 this page verifies with: the browser's own, or the pure-JS one in an insecure context. */
export function browserSha256(subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): PeerPlatform['sha256'] {
  if (subtle) return subtleSha256(subtle as never);
  return async (bytes) => bytesToHex(jsSha256(bytes));
}

export function browserPlatform(): PeerPlatform | null {
  if (typeof WebSocket !== 'function' || typeof fetch !== 'function') return null;
  return {
    createWebSocket: (url) => new WebSocket(url) as never,
    createPeerConnection: (config) => {
      if (!hasWebRtc()) throw new Error('WebRTC is not available');
      return new RTCPeerConnection(config) as never;
    },
    fetch: (url, init) => fetch(url, { headers: init.headers, signal: init.signal, credentials: 'omit', mode: 'cors' }) as never,
    sha256: browserSha256(),
    now: () => performance.now(),
    random: () => Math.random(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as number),
  };
}
