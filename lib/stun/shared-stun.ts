/**
 * One STUN server per UDP port per process, shared by reference count: several relaycast-signaling
 * nodes configured with the same port (one per path, or two Node-RED runtimes in one process) use one
 * socket pair instead of the second failing with EADDRINUSE. The last release closes it, and the
 * next acquire binds afresh (a redeploy closes the old nodes before starting the new ones).
 */
import type { RelaycastError } from '../errors';
import type { StunCounters } from './responder';
import { StunServer, type Family } from './stun-server';

export interface StunHandle {
  readonly port: number;
  /** Settles once both families have bound or failed. */
  readonly ready: Promise<void>;
  /** True while the shared server answers on at least one family. */
  listening(): boolean;
  families(): Family[];
  counters(): StunCounters;
  /** Idempotent; resolves once the sockets are closed when this was the last holder. */
  release(): Promise<void>;
}

interface Entry {
  server: StunServer;
  ready: Promise<void>;
  holders: Set<{ notify(err: RelaycastError): void }>;
  /** Bind failures so far, told to every later holder too. */
  problems: RelaycastError[];
}

const servers = new Map<number, Entry>();

export function acquireStun(port: number, onProblem: (err: RelaycastError) => void, addresses?: { v4?: string; v6?: string }): StunHandle {
  let entry = servers.get(port);
  if (!entry) {
    const holders: Entry['holders'] = new Set();
    const problems: RelaycastError[] = [];
    const server = new StunServer({
      port,
      addresses,
      onError: (err) => {
        problems.push(err);
        for (const holder of holders) holder.notify(err);
      },
    });
    entry = { server, ready: server.start(), holders, problems };
    servers.set(port, entry);
  } else {
    // A holder that arrives late hears of the failures it missed, as asynchronously as the first did.
    const missed = [...entry.problems];
    void Promise.resolve().then(() => missed.forEach((err) => onProblem(err)));
  }
  const own = entry;
  // An object per holder: two holders passing the same callback are still two.
  const holder = { notify: onProblem };
  own.holders.add(holder);
  let released = false;
  return {
    port,
    ready: own.ready,
    listening: () => !released && own.server.listening,
    families: () => own.server.families(),
    counters: () => own.server.responder.counters,
    release: async () => {
      if (released) return;
      released = true;
      own.holders.delete(holder);
      if (own.holders.size > 0) return;
      if (servers.get(port) === own) servers.delete(port);
      await own.server.close();
    },
  };
}
