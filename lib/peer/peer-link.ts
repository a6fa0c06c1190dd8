/**
 * One WebRTC connection to another peer of the swarm: an RTCPeerConnection with a single ordered,
 * reliable DataChannel, negotiated through the signaling server (offer/answer/ICE relayed by it).
 * It speaks the peer wire protocol: frames in are decoded and validated here, so a peer that
 * sends anything malformed is closed before the engine sees it. Sending respects the channel's
 * buffer: callers check canSend() and wait for 'drain'. The buffer's size is set by the upload side
 * from the link's measured rate (send-window.ts); bytes sent and still buffered are counted so that
 * what actually left the buffer can be measured.
 */
import { Emitter } from './emitter';
import { observeOpened, type IceObserver } from './ice-outcome';
import { lowWaterBytes, SEND_WINDOW } from './send-window';
import type { DataChannelLike, IceCandidate, PeerConnectionLike, PeerPlatform } from './platform';
import { decode, encode, WIRE_VERSION, WireError, type WireFrame } from '../protocol/peer-wire';
import type { AnswerMessage, IceMessage, IceServer, OfferMessage } from '../protocol';

export interface PeerLinkOptions {
  remoteId: string;
  offerId: string;
  initiator: boolean;
  iceServers: IceServer[];
  /** Sends a signaling frame (offer/answer/ice) addressed to the remote peer. */
  signal(frame: OfferMessage | AnswerMessage | IceMessage): void;
  /** Keeps only the candidates this returns true for (tests confine ICE to loopback with it). */
  candidateFilter?: (candidate: string) => boolean;
  uploads: boolean;
  connectTimeoutMs?: number;
  /** Told of gathered candidates and of whether this link opened or failed (ice-outcome.ts). */
  ice?: IceObserver;
}

export type CloseReason = 'closed' | 'timeout' | 'failed' | 'protocol' | 'version' | 'remote';

type Events = {
  open: () => void;
  frame: (frame: WireFrame) => void;
  drain: () => void;
  close: (reason: CloseReason) => void;
};

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export class PeerLink extends Emitter<Events> {
  readonly remoteId: string;
  readonly offerId: string;
  /** Whether this side made the offer. */
  readonly initiator: boolean;
  /** Whether the remote side said (hello) that it serves segments. */
  remoteUploads = true;
  private readonly pc: PeerConnectionLike;
  private channel: DataChannelLike | undefined;
  private readonly pendingCandidates: IceCandidate[] = [];
  private remoteDescribed = false;
  private isOpen = false;
  private everOpened = false;
  private done = false;
  private readonly connectTimer: unknown;
  /** Above this many queued bytes the sender waits for 'drain' (see setSendWindow). */
  private highWater: number = SEND_WINDOW.unmeasuredBytes;
  private sentBytes = 0;

  constructor(
    private readonly platform: PeerPlatform,
    private readonly options: PeerLinkOptions,
  ) {
    super();
    this.remoteId = options.remoteId;
    this.offerId = options.offerId;
    this.initiator = options.initiator;
    this.pc = platform.createPeerConnection({ iceServers: options.iceServers });
    this.pc.onicecandidate = (event) => {
      const candidate = event.candidate;
      if (!candidate) {
        this.options.signal({ type: 'ice', to: this.remoteId, offerId: this.offerId, candidate: null });
        return;
      }
      this.options.ice?.candidate(candidate.candidate);
      if (!this.accepts(candidate.candidate)) return;
      const json = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate;
      this.options.signal({
        type: 'ice',
        to: this.remoteId,
        offerId: this.offerId,
        candidate: { candidate: json.candidate, sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? null },
      });
    };
    this.pc.ondatachannel = (event) => {
      if (!options.initiator) this.useChannel(event.channel);
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (state === 'failed') this.close('failed');
      else if (state === 'closed') this.close('remote');
    };
    this.connectTimer = platform.setTimeout(() => {
      if (!this.isOpen) this.close('timeout');
    }, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    if (options.initiator) {
      this.useChannel(this.pc.createDataChannel('relaycast', { ordered: true }));
      this.negotiate(async () => {
        const offer = await this.pc.createOffer();
        await this.pc.setLocalDescription(offer);
        this.options.signal({ type: 'offer', to: this.remoteId, offerId: this.offerId, sdp: this.pc.localDescription?.sdp ?? offer.sdp ?? '' });
      });
    }
  }

  get open(): boolean {
    return this.isOpen;
  }

  get closed(): boolean {
    return this.done;
  }

  handleOffer(sdp: string): void {
    this.negotiate(async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      await this.remoteDescriptionSet();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      this.options.signal({ type: 'answer', to: this.remoteId, offerId: this.offerId, sdp: this.pc.localDescription?.sdp ?? answer.sdp ?? '' });
    });
  }

  handleAnswer(sdp: string): void {
    this.negotiate(async () => {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      await this.remoteDescriptionSet();
    });
  }

  handleIce(candidate: IceCandidate | null): void {
    if (this.done) return;
    if (candidate && !this.accepts(candidate.candidate)) return;
    if (!candidate) return; // end of candidates: nothing to do for a trickle-ICE agent
    if (!this.remoteDescribed) {
      if (this.pendingCandidates.length < 64) this.pendingCandidates.push(candidate);
      return;
    }
    this.pc.addIceCandidate(candidate).catch(() => {
      /* a stale or unusable candidate is not fatal */
    });
  }

  /** Room in the channel's buffer for another frame. */
  canSend(): boolean {
    return this.isOpen && this.channel !== undefined && this.channel.bufferedAmount < this.highWater;
  }

  /** Sizes the channel's buffer: canSend() is false above `highWaterBytes`, 'drain' fires at half. */
  setSendWindow(highWaterBytes: number): void {
    this.highWater = highWaterBytes;
    if (this.channel) this.channel.bufferedAmountLowThreshold = lowWaterBytes(highWaterBytes);
  }

  sendWindow(): number {
    return this.highWater;
  }

  /** Bytes that have left the channel's buffer (sent minus still buffered). */
  delivered(): number {
    return this.sentBytes - this.bufferedAmount();
  }

  bufferedAmount(): number {
    return this.channel?.bufferedAmount ?? 0;
  }

  send(frame: WireFrame): boolean {
    const channel = this.channel;
    if (!this.isOpen || !channel) return false;
    try {
      const bytes = encode(frame);
      channel.send(bytes);
      this.sentBytes += bytes.byteLength;
      return true;
    } catch {
      this.close('failed');
      return false;
    }
  }

  close(reason: CloseReason = 'closed'): void {
    if (this.done) return;
    this.done = true;
    this.isOpen = false;
    this.platform.clearTimeout(this.connectTimer);
    // A link that never opened failed to connect (ICE failed or timed out); other reasons are not ICE's.
    if (!this.everOpened && (reason === 'failed' || reason === 'timeout')) this.options.ice?.failed();
    const channel = this.channel;
    if (channel) {
      channel.onmessage = null;
      channel.onclose = null;
      channel.onbufferedamountlow = null;
      channel.onopen = null;
      try {
        channel.close();
      } catch {
        /* already closed */
      }
    }
    this.pc.onicecandidate = null;
    this.pc.ondatachannel = null;
    this.pc.onconnectionstatechange = null;
    try {
      this.pc.close();
    } catch {
      /* already closed */
    }
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private useChannel(channel: DataChannelLike): void {
    if (this.channel) {
      channel.close();
      return;
    }
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = lowWaterBytes(this.highWater);
    channel.onopen = () => {
      this.isOpen = true;
      this.everOpened = true;
      if (this.options.ice) observeOpened(this.pc, this.options.ice);
      this.platform.clearTimeout(this.connectTimer);
      this.send({ type: 'hello', version: WIRE_VERSION, uploads: this.options.uploads });
      this.emit('open');
    };
    channel.onclose = () => this.close('remote');
    channel.onerror = () => this.close('failed');
    channel.onbufferedamountlow = () => this.emit('drain');
    channel.onmessage = (event) => this.receive(event.data);
    if (channel.readyState === 'open') channel.onopen(undefined);
  }

  private receive(data: unknown): void {
    if (this.done) return;
    let frame: WireFrame;
    try {
      frame = decode(data);
    } catch (err) {
      if (err instanceof WireError) {
        this.close('protocol');
        return;
      }
      throw err;
    }
    if (frame.type === 'hello') {
      if (frame.version !== WIRE_VERSION) {
        this.close('version');
        return;
      }
      this.remoteUploads = frame.uploads;
    }
    this.emit('frame', frame);
  }

  private async remoteDescriptionSet(): Promise<void> {
    this.remoteDescribed = true;
    for (const candidate of this.pendingCandidates.splice(0)) {
      await this.pc.addIceCandidate(candidate).catch(() => {
        /* not fatal */
      });
    }
  }

  private negotiate(step: () => Promise<void>): void {
    step().catch(() => this.close('failed'));
  }

  private accepts(candidate: string): boolean {
    const filter = this.options.candidateFilter;
    return !filter || candidate === '' || filter(candidate);
  }
}
