/**
 * Supporter tokens across the instances sharing one Redis. The editor's invite issues a token on
 * one instance (supporters.ts: a line in that signaling node's list); behind a load balancer the
 * supporter's socket may land on any other, which must admit it too. So the issuing instance
 * writes the token's SHA-256 digest and the supporter id into one Redis hash and announces it on a
 * channel; every instance keeps a replica of that hash, loaded whenever its Redis connection comes
 * up and grown by the announcements, and checks tokens against it as it does against its own list.
 * Only the digest leaves the instance: Redis and its channel never hold a token, and a digest
 * cannot be presented as one.
 *
 * Each time its connection comes up an instance writes its whole list (configured and issued
 * lines alike), so a Redis that kept nothing (the README allows `--save ''`) learns every token
 * again from the instances that list it, and an issue made while Redis was down is written then.
 * The cluster thus admits the tokens any instance lists. A replica only grows: revoking a token
 * means removing its line from every instance's list and its field from the hash, then redeploying.
 * What Redis sends is a
 * network input: entries are checked (lib/protocol/issued-supporter.ts) and bounded in number.
 */
import { parseIssuedSupporter } from '../protocol/issued-supporter';
import type { RedisPair } from './redis-connection';
import { tokenListVerifier, type SupporterVerifier } from './supporters';

/** Most issued supporters a cluster keeps (each check compares against all of them). */
export const MAX_SHARED_SUPPORTERS = 10_000;
/** An announcement is a digest and an id in JSON: well under this. */
const MAX_ANNOUNCEMENT_CHARS = 512;

export class SharedSupporters {
  /** digest (hex) → supporter id: every instance's issued tokens, as read from Redis. */
  private readonly byDigest = new Map<string, string>();
  /** Issued here and not yet confirmed written to Redis (written at the next 'up'). */
  private readonly unwritten = new Map<string, string>();
  private check: SupporterVerifier = () => null;
  private readonly keys: { hash: string; channel: string };
  private readonly onUp = () => void this.sync();
  private readonly onAnnounce = (text: string) => this.announced(text);
  private closed = false;

  /** `own`: this instance's list as digest → supporter id (SupporterTokenList.digests). */
  constructor(
    private readonly pair: RedisPair,
    namespace: string,
    private readonly own: () => ReadonlyMap<string, string>,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    const ns = `${pair.keyPrefix}${namespace}:`;
    this.keys = { hash: `${ns}supporters`, channel: `${ns}supporters:issued` };
    pair.subscribe(this.keys.channel, this.onAnnounce);
    pair.on('up', this.onUp);
    if (pair.up) void this.sync();
  }

  /** The supporter id of a token some instance issued, else null. Checks every entry, whichever matches. */
  readonly verify: SupporterVerifier = (token, swarm) => this.check(token, swarm);

  /** How many issued supporters this instance admits from the cluster. */
  get size(): number {
    return this.byDigest.size;
  }

  /**
   * Shares a token issued here, by its digest. Resolves once Redis holds it, or at once when Redis
   * is down (the entry is written when it is back); never rejects.
   */
  async share(digestHex: string, supporterId: string): Promise<void> {
    this.add({ d: digestHex, id: supporterId });
    this.unwritten.set(digestHex, supporterId);
    if (this.pair.up) await this.write();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pair.off('up', this.onUp);
    this.pair.unsubscribe(this.keys.channel, this.onAnnounce);
  }

  /** Writes this instance's list (what Redis may have lost, what was issued meanwhile), then reads every instance's entries. */
  private async sync(): Promise<void> {
    for (const [digest, id] of this.own()) this.unwritten.set(digest, id);
    await this.write();
    try {
      const all = await this.pair.publisher.hgetall(this.keys.hash);
      for (const [d, id] of Object.entries(all)) this.add({ d, id }, false);
      this.check = tokenListVerifier(this.byDigest);
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async write(): Promise<void> {
    for (const [digest, id] of [...this.unwritten]) {
      try {
        await this.pair.publisher.hset(this.keys.hash, digest, id);
        await this.pair.publisher.publish(this.keys.channel, JSON.stringify({ d: digest, id }));
        this.unwritten.delete(digest);
      } catch (err) {
        this.onError(err instanceof Error ? err : new Error(String(err)));
        return; // kept for the next 'up'
      }
    }
  }

  private announced(text: string): void {
    if (text.length > MAX_ANNOUNCEMENT_CHARS) return;
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      return;
    }
    this.add(entry);
  }

  /** Adds a well-formed entry; `rebuild` false when the caller rebuilds the check once after many. */
  private add(value: unknown, rebuild = true): void {
    const entry = parseIssuedSupporter(value);
    if (this.closed || !entry || this.byDigest.get(entry.d) === entry.id) return;
    const { d: digest, id } = entry;
    if (!this.byDigest.has(digest) && this.byDigest.size >= MAX_SHARED_SUPPORTERS) {
      this.onError(new Error(`more than ${MAX_SHARED_SUPPORTERS} issued supporters in Redis: the newest are not admitted here`));
      return;
    }
    this.byDigest.set(digest, id);
    if (rebuild) this.check = tokenListVerifier(this.byDigest);
  }
}
