/** A minimal typed event emitter: the same in the browser and in Node, with listener errors contained. */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => set!.delete(listener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      // A page's listener that throws must not break the engine that called it.
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch {
        /* the listener's own bug */
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
