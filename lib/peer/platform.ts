/**
 * What the peer core needs from its platform, injected so that the same core runs in the browser
 * (window.WebSocket, RTCPeerConnection, fetch, crypto.subtle) and in Node (ws, a WebRTC library,
 * global fetch, node:crypto's webcrypto). The shapes are the standard ones, reduced to the members
 * the core uses, so the real objects fit them as they are.
 */
import type { IceCandidateInit } from '../protocol';
import type { StatsReportLike } from './ice-outcome';

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface DataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType: string;
  send(data: ArrayBuffer | Uint8Array): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onbufferedamountlow: ((event: unknown) => void) | null;
}

export interface SessionDescription {
  type: string;
  sdp?: string;
}
/** An ICE candidate as the signaling protocol carries it (RTCIceCandidateInit's fields). */
export type IceCandidate = IceCandidateInit;

export interface PeerConnectionLike {
  readonly connectionState: string;
  readonly localDescription: SessionDescription | null;
  createDataChannel(label: string, options?: { ordered?: boolean }): DataChannelLike;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(description?: SessionDescription): Promise<void>;
  setRemoteDescription(description: SessionDescription): Promise<void>;
  addIceCandidate(candidate: IceCandidate | null): Promise<void>;
  close(): void;
  onicecandidate: ((event: { candidate: (IceCandidate & { toJSON?: () => IceCandidate }) | null }) => void) | null;
  ondatachannel: ((event: { channel: DataChannelLike }) => void) | null;
  onconnectionstatechange: ((event: unknown) => void) | null;
  /** Where the platform has it (browsers, @roamhq/wrtc): the selected candidate pair's type, for the ICE outcome. */
  getStats?(): Promise<StatsReportLike>;
}

export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  readonly body?: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
}

export type FetchLike = (url: string, init: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<FetchResponseLike>;

export interface PeerPlatform {
  createWebSocket(url: string): WebSocketLike;
  createPeerConnection(config: { iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }> }): PeerConnectionLike;
  fetch: FetchLike;
  /** Lower-case hex SHA-256 (crypto.subtle.digest in both browsers and Node). */
  sha256(bytes: Uint8Array): Promise<string>;
  now(): number;
  random(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** SHA-256 through a SubtleCrypto (window.crypto.subtle, or node:crypto's webcrypto.subtle). */
export function subtleSha256(subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> }): (bytes: Uint8Array) => Promise<string> {
  return async (bytes) => {
    const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
    let hex = '';
    for (let i = 0; i < digest.length; i++) hex += digest[i].toString(16).padStart(2, '0');
    return hex;
  };
}
