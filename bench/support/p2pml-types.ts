/**
 * The thin part of p2p-media-loader 2.x's API that the baseline page uses, typed here: the package
 * is installed on demand into bench/.baselines (never a project dependency), so its own types are
 * not there when the project type-checks. Names and signatures follow its published
 * p2p-media-loader-core/lib/types.d.ts and p2p-media-loader-hlsjs/lib/engine.d.ts.
 */
import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';

export type DownloadSource = 'http' | 'p2p';

/** Core and stream settings the baseline sets (p2p-media-loader-core `CoreConfig`). */
export interface P2pmlCoreConfig {
  announceTrackers: string[];
  rtcConfig: { iceServers: Array<{ urls: string }> };
  highDemandTimeWindow?: number;
  simultaneousHttpDownloads?: number;
  simultaneousP2PDownloads?: number;
  httpDownloadInitialTimeoutMs?: number;
  isP2PUploadDisabled?: boolean;
}

/** The engine events the baseline listens to (p2p-media-loader-core `CoreEventMap`). */
export interface P2pmlEvents {
  onChunkDownloaded: (bytesLength: number, downloadSource: DownloadSource, peerId?: string) => void;
  onChunkUploaded: (bytesLength: number, peerId: string) => void;
  onSegmentLoaded: (details: { segmentUrl: string; bytesLength: number; downloadSource: DownloadSource }) => void;
  onPeerConnect: (details: { peerId: string }) => void;
  onPeerClose: (details: { peerId: string }) => void;
}

export interface P2pmlEngine {
  addEventListener<K extends keyof P2pmlEvents>(eventName: K, listener: P2pmlEvents[K]): void;
}

export type HlsWithP2p = Hls & { readonly p2pEngine: P2pmlEngine };

/** What `import('p2p-media-loader-hlsjs')` gives (its browser bundle). */
export interface P2pmlHlsjsModule {
  HlsJsP2PEngine: {
    injectMixin(hls: typeof Hls): new (config: Partial<HlsConfig> & { p2p: { core: P2pmlCoreConfig } }) => HlsWithP2p;
  };
}
