/**
 * The two protocols hls-watch, r2-upload and manifest run beside their wires, held by one pipeline
 * (a relaycast-pipeline config node, or the default bus of a flow tab: nodes/shared/pipeline-bus.ts):
 * delivery receipts (exactly-once delivery, delivery-receipts.ts) and playlist listings (what
 * r2-upload's cleanup must not delete yet, playlist-listings.ts). Two pipelines never share one, even
 * with the same stream id: a manifest of one must neither confirm, nor hold, nor trigger resends for
 * the other.
 */
import { DeliveryReceipts } from './delivery-receipts';
import { PlaylistListings } from './playlist-listings';

export class PipelineBus {
  readonly receipts = new DeliveryReceipts();
  readonly listings = new PlaylistListings();
}
