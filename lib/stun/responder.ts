/**
 * The STUN Binding responder, without sockets: a datagram and its source in, the answer (or nothing)
 * out, every outcome counted. It tells a client the address and port its request came from — all a
 * browser needs to learn its server-reflexive candidate — and nothing else: no SOFTWARE attribute, no
 * authentication, no relaying. Refusals are silent (a malformed or unexpected datagram gets no answer)
 * except the one RFC 8489 §6.3.1 requires: a request with a comprehension-required attribute this
 * server does not know gets a 420 naming it, rate-limited like any answer.
 */
import { parseAddress } from '../signaling/addresses';
import { AnswerBudget, DEFAULT_ANSWER_LIMITS, type AnswerLimits } from './answer-budget';
import { bindingSuccess, readBindingRequest, unknownAttributesError, type Refusal } from './message';

export interface StunCounters {
  /** Binding success responses sent. */
  answered: number;
  /** 420 errors sent (unknown comprehension-required attributes). */
  unknownAttributes: number;
  /** Datagrams dropped as malformed, oversized or not a Binding request. */
  refused: number;
  /** Valid requests left unanswered by the per-source or global budget. */
  rateLimited: number;
  /** Refusals by reason, to tell a scanner from a broken client. */
  refusedBy: Record<Refusal | 'address', number>;
}

export class StunResponder {
  readonly counters: StunCounters = {
    answered: 0,
    unknownAttributes: 0,
    refused: 0,
    rateLimited: 0,
    refusedBy: { size: 0, header: 0, 'not-request': 0, attributes: 0, fingerprint: 0, address: 0 },
  };
  private readonly budget: AnswerBudget;

  constructor(
    limits: AnswerLimits = DEFAULT_ANSWER_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.budget = new AnswerBudget(limits, now());
  }

  /** The answer to send back to `address`:`port`, or undefined. Never throws, whatever the bytes. */
  answer(datagram: Uint8Array, address: string, port: number): Uint8Array | undefined {
    const verdict = readBindingRequest(datagram);
    if (verdict.kind === 'refused') return this.refuse(verdict.reason);
    const source = parseAddress(address);
    if (!source || !Number.isInteger(port) || port < 0 || port > 0xffff) return this.refuse('address');
    if (!this.budget.take(address, this.now())) {
      this.counters.rateLimited++;
      return undefined;
    }
    if (verdict.kind === 'unknown-attributes') {
      this.counters.unknownAttributes++;
      return unknownAttributesError(verdict.transaction, verdict.types);
    }
    this.counters.answered++;
    return bindingSuccess(verdict.transaction, source, port);
  }

  trackedSources(): number {
    return this.budget.trackedSources();
  }

  private refuse(reason: Refusal | 'address'): undefined {
    this.counters.refused++;
    this.counters.refusedBy[reason]++;
    return undefined;
  }
}
