/**
 * Fire-and-forget work (file-event triggers, timers, finalisers) that must never become an
 * unhandled rejection: under Node-RED that exits the whole process. Every such call goes through
 * `inBackground`, which hands any failure, sync throw or rejection, to a reporter (the node's
 * error path) instead.
 */
export function inBackground(work: () => unknown, report: (err: unknown) => void): void {
  let result: unknown;
  try {
    result = work();
  } catch (err) {
    reportSafely(report, err);
    return;
  }
  if (result instanceof Promise) result.catch((err: unknown) => reportSafely(report, err));
}

function reportSafely(report: (err: unknown) => void, err: unknown): void {
  try {
    report(err);
  } catch (reportErr) {
    // The reporter itself failed: a process warning is the last place left that cannot crash.
    process.emitWarning(`relaycast: a background failure could not be reported: ${String(reportErr)} (original: ${String(err)})`);
  }
}
