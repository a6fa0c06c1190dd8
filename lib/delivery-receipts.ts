/**
 * Receipts for delivered segments, shared by the nodes of one Node-RED process: the confirmation
 * path of hls-watch → r2-upload → manifest (#14 defect 9).
 *
 * Why this design: the only durable proof that a segment arrived is manifest's state on disk, so
 * manifest confirms each segment or gap msg once its state is saved. hls-watch journals, in its
 * own state file and before it sends (write-ahead), every delivery a confirming consumer has not
 * confirmed yet; the first pass after a start (a crash, a restart, a full redeploy, in which
 * Node-RED drops msgs sent while the flow stops) sends those again, with the same session and
 * sequence and `redelivered: true`, if the encoder still lists them. Downstream is idempotent
 * for exactly that repeat: r2-upload's key is derived from session and sequence, and a key its
 * persisted index already holds is released again without a second PUT; manifest ignores a
 * redelivered segment it already handled, so nothing is listed twice. Consulting r2-upload's
 * index instead would not do: an object stored is not yet a segment listed.
 *
 * Receipts are in memory: hls-watch and manifest must run in the same Node-RED process.
 */
export type ReceiptListener = (rendition: string, session: string, sequence: number) => void;

/** Stands for every stream, for a manifest node without a fixed stream id. */
const ANY_STREAM = '*';

export class DeliveryReceipts {
  private readonly listeners = new Map<string, Set<ReceiptListener>>();
  private readonly confirmers = new Map<string, number>();

  /**
   * A consumer that will confirm the deliveries of `stream` (undefined: of any stream) is running;
   * returns the function that withdraws it. hls-watch journals its deliveries while one is.
   */
  willConfirm(stream: string | undefined): () => void {
    const key = stream || ANY_STREAM;
    this.confirmers.set(key, (this.confirmers.get(key) ?? 0) + 1);
    let withdrawn = false;
    return () => {
      if (withdrawn) return;
      withdrawn = true;
      const left = (this.confirmers.get(key) ?? 1) - 1;
      if (left > 0) this.confirmers.set(key, left);
      else this.confirmers.delete(key);
    };
  }

  /** Whether some running consumer confirms the deliveries of `stream`. */
  expected(stream: string): boolean {
    return this.confirmers.has(stream) || this.confirmers.has(ANY_STREAM);
  }

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
