/**
 * Privacy-preserving network tags. A receipt names the networks of both ends, so that payout can
 * refuse self-dealing (a supporter "delivering" to viewers on its own network), without the receipt
 * ever carrying an address: the tag is a keyed HMAC of the address prefix, equal for two addresses
 * in the same prefix and unlinkable to the address without the key. The key is random per process
 * unless the operator sets one in the node's credentials (then tags stay comparable across restarts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { addressPrefix, type PrefixBits } from './addresses';

/** Hex characters kept of the HMAC: 64 bits, plenty to tell networks apart, too few to be worth reversing. */
const TAG_HEX_CHARS = 16;

export class NetworkTagger {
  private readonly key: Buffer;

  constructor(
    key: string | Buffer | undefined,
    private readonly networkBits: PrefixBits,
  ) {
    this.key = key === undefined || key.length === 0 ? randomBytes(32) : Buffer.from(key);
  }

  /** The tag of the network (by the configured prefix) an address is in. */
  network(address: string): string {
    return this.tag(`net:${addressPrefix(address, this.networkBits)}`);
  }

  /** The tag of any other client key (a source prefix), for ids that must not carry an address. */
  tag(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('hex').slice(0, TAG_HEX_CHARS);
  }
}
