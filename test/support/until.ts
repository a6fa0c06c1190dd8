// Waiting in a spec: poll a condition on the event loop until it holds, or fail naming what never
// happened. A spec waits for the real condition this way, never for a fixed delay.

// `seen`, when given, says what was observed instead, for the failure message.
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 10, seen?: () => string): Promise<void> {
  await untilValue(async () => ((await condition()) ? true : undefined), what, timeoutMs, everyMs, seen);
}

/** Polls `probe` until it gives a value (anything but undefined) and returns that value. */
export async function untilValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 10,
  seen?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${seen ? `; seen: ${seen()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
