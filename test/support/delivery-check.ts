// What "nothing lost, nothing twice" means for the publishing path, checked from the outside: the
// segments an encoder wrote against what a player was served. Shared by the crash spec
// (test/nodes/delivery-crash.spec.ts) and the outside try (bench/outside-try.ts), so both judge
// delivery by the same rules:
// - no media sequence number a player was ever told names two URIs (MsnUris);
// - every segment the encoder wrote is listed exactly once, in the encoder's order, and the listed
//   URL serves its bytes exactly (checkDelivery).
import { createHash } from 'node:crypto';

export interface WrittenSegment {
  /** The encoder's own name for it (for messages). */
  name: string;
  sha256: string;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Every MSN → URI a player was told, across every version it loaded; a second URI is a conflict. */
export class MsnUris {
  private readonly seen = new Map<number, string>();
  readonly conflicts: string[] = [];

  observe(segments: ReadonlyArray<{ msn: number; uri: string }>): void {
    for (const s of segments) {
      const before = this.seen.get(s.msn);
      if (before === undefined) this.seen.set(s.msn, s.uri);
      else if (before !== s.uri) this.conflicts.push(`MSN ${s.msn}: ${before} then ${s.uri}`);
    }
  }

  /** How many MSNs were seen. */
  get size(): number {
    return this.seen.size;
  }
}

export interface DeliveryFigures {
  written: number;
  /** Written segments whose bytes a listed URL serves exactly. */
  stored: number;
  /** Distinct segment URLs listed. */
  listed: number;
  /** Written segments that no listed URL serves. */
  lost: number;
  /** Extra listings of a written segment (or of one URL) beyond the first. */
  listedTwice: number;
  /** Listed URLs that do not answer, or answer bytes the encoder never wrote. */
  notStored: number;
  /** The written segments that are listed appear in the encoder's order. */
  inOrder: boolean;
  /** The first few problems, named. */
  problems: string[];
}

async function fetchOrUndefined(url: string): Promise<Buffer | undefined> {
  const res = await fetch(url).catch(() => undefined);
  if (!res || res.status !== 200) return undefined;
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Fetches every listed URL and matches its bytes to what the encoder wrote, in order.
 */
export async function checkDelivery(
  written: readonly WrittenSegment[],
  listedUrls: readonly string[],
  get: (url: string) => Promise<Buffer | undefined> = fetchOrUndefined,
): Promise<DeliveryFigures> {
  // Bytes can repeat (a looping demo encoder): a listing is matched to the first unmatched written
  // segment with its bytes after the last match, in the encoder's order.
  const indicesOf = new Map<string, number[]>();
  written.forEach((w, i) => indicesOf.set(w.sha256, [...(indicesOf.get(w.sha256) ?? []), i]));
  const counts = new Array<number>(written.length).fill(0);
  const problems: string[] = [];
  const note = (text: string): void => {
    if (problems.length < 5) problems.push(text);
  };
  let notStored = 0;
  let listedTwice = listedUrls.length - new Set(listedUrls).size;
  if (listedTwice > 0) note(`${listedTwice} URL(s) listed more than once`);
  const matched: number[] = [];
  const bodies = await inBatches(listedUrls, 8, get);
  listedUrls.forEach((url, k) => {
    const body = bodies[k];
    const candidates = body ? indicesOf.get(sha256(body)) : undefined;
    if (!candidates) {
      notStored += 1;
      note(body ? `${url} serves bytes the encoder never wrote` : `${url} is listed but not stored`);
      return;
    }
    const last = matched.length > 0 ? matched[matched.length - 1] : -1;
    const index = candidates.find((i) => i > last && counts[i] === 0) ?? candidates.find((i) => counts[i] === 0) ?? candidates[0];
    counts[index] += 1;
    matched.push(index);
  });
  for (const [i, n] of counts.entries()) {
    if (n > 1) {
      listedTwice += n - 1;
      note(`${written[i].name} listed ${n} times`);
    }
  }
  const lostNames = written.filter((_, i) => counts[i] === 0).map((w) => w.name);
  if (lostNames.length > 0) note(`lost: ${lostNames.slice(0, 8).join(', ')}${lostNames.length > 8 ? ' …' : ''}`);
  const inOrder = matched.every((index, k) => k === 0 || index > matched[k - 1]);
  if (!inOrder) note("listed out of the encoder's order");
  const stored = counts.filter((n) => n > 0).length;
  return { written: written.length, stored, listed: new Set(listedUrls).size, lost: written.length - stored, listedTwice, notStored, inOrder, problems };
}

async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
