// Waiting in a spec: poll a condition on the event loop until it holds, or fail naming what never
// happened. A spec waits for the real condition this way, never for a fixed delay.

export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
