/**
 * Receipts for delivered segments, shared by the nodes of one Node-RED process: manifest confirms
 * each segment or gap msg once its state is on disk, and hls-watch, which keeps what it sent but
 * was not yet confirmed, delivers those again after a crash or a redeploy (Node-RED drops msgs
 * sent while a flow stops). Downstream copes with the repeat: r2-upload's keys are immutable and
 * manifest refuses what it already lists (E_MANIFEST_DUPLICATE), so nothing is listed twice.
 */
export type ReceiptListener = (rendition: string, session: string, sequence: number) => void;

export class DeliveryReceipts {
  private readonly listeners = new Map<string, Set<ReceiptListener>>();

  /** Listens for the receipts of one stream; returns the function that stops listening. */
  subscribe(stream: string, listener: ReceiptListener): () => void {
    let set = this.listeners.get(stream);
    if (!set) this.listeners.set(stream, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(stream);
    };
  }

  confirm(stream: string, rendition: string, session: string, sequence: number): void {
    for (const listener of this.listeners.get(stream) ?? []) {
      try { listener(rendition, session, sequence); } catch { /* one listener's failure must not stop the others */ }
    }
  }
}

/** The one instance the nodes of this Node-RED process share. */
export const sharedReceipts = new DeliveryReceipts();
