/**
 * Receipts for delivered segments, shared by the nodes of one pipeline (one instance per
 * PipelineBus, pipeline-bus.ts): the confirmation path of hls-watch → r2-upload → manifest (#14 defect 9).
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
 * A partial deploy (type "nodes" or "flows") can restart manifest, or r2-upload, alone while
 * hls-watch runs on: msgs sent to a stopped node are dropped, and no first pass follows. So a
 * restarted stage announces itself (`restarted`), and hls-watch sends the unconfirmed again on its
 * next pass. That resend queues behind copies already in flight in r2-upload, and one of those may
 * reach manifest first with a sequence after the dropped one, which manifest, whose playlists only
 * append, could never list later: so manifest asks (`requestResend`) before listing a segment or
 * gap that skips sequences, and leaves it unconfirmed when hls-watch will send it, after the ones
 * missing, again. A copy that then arrives twice is ignored by manifest as already handled; one
 * still in flight in r2-upload when its repeat comes is PUT twice, same key, same bytes.
 *
 * Receipts are in memory: hls-watch and manifest must run in the same Node-RED process, on the
 * same pipeline's bus.
 */
export type ReceiptListener = (rendition: string, session: string, sequence: number) => void;

/** One delivery manifest wants sent again, with every unconfirmed one before it. */
export interface ResendRequest {
  rendition: string;
  session: string;
  sequence: number;
}

/**
 * A deliverer (hls-watch): with a request, whether it holds that delivery unconfirmed and will send
 * it again; without one (a stage restarted), send all the unconfirmed again. It must send on a
 * later pass, never from inside the call.
 */
export type ResendListener = (request?: ResendRequest) => boolean;

/** Stands for every stream, for a manifest node without a fixed stream id. */
const ANY_STREAM = '*';

export class DeliveryReceipts {
  private readonly listeners = new Map<string, Set<ReceiptListener>>();
  private readonly confirmers = new Map<string, number>();
  private readonly deliverers = new Map<string, Set<ResendListener>>();

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
    return addTo(this.listeners, stream, listener);
  }

  confirm(stream: string, rendition: string, session: string, sequence: number): void {
    for (const listener of this.listeners.get(stream) ?? []) {
      try {
        listener(rendition, session, sequence);
      } catch {
        /* one listener's failure must not stop the others */
      }
    }
  }

  /** A deliverer of `stream` listens for resend requests; returns the function that stops it. */
  onResend(stream: string, listener: ResendListener): () => void {
    return addTo(this.deliverers, stream, listener);
  }

  /**
   * A stage of the path of `stream` (undefined: of every stream, as r2-upload, which serves any)
   * started: whatever was sent to it while it was stopped is lost. Called from a node's
   * constructor, before Node-RED has wired the node: the deliverers are told on a later turn.
   */
  restarted(stream: string | undefined): void {
    setImmediate(() => {
      for (const [key, set] of this.deliverers) {
        if (stream !== undefined && key !== stream) continue;
        for (const listener of [...set]) {
          try {
            listener();
          } catch {
            /* one deliverer's failure must not stop the others */
          }
        }
      }
    });
  }

  /**
   * manifest got this delivery with earlier sequences missing: whether a deliverer of `stream`
   * will send it again, after the missing ones (true: this copy must be neither listed nor
   * confirmed; false: nobody will, so it is listed as it is).
   */
  requestResend(stream: string, request: ResendRequest): boolean {
    let promised = false;
    for (const listener of [...(this.deliverers.get(stream) ?? [])]) {
      try {
        promised = listener(request) || promised;
      } catch {
        /* as if it had said no */
      }
    }
    return promised;
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, item: T): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(item);
  return () => {
    set!.delete(item);
    if (set!.size === 0 && map.get(key) === set) map.delete(key);
  };
}
