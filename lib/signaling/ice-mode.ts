/**
 * Where viewers get their ICE servers, as one rule for both sides: nodes/signaling/config.ts
 * applies it at deploy, and the editor (signaling.html, which the build inlines this file into)
 * validates the field and preselects the dialog's choice with it, so the dialog never shows a mode
 * the runtime would not run. It imports nothing and uses only what a browser has too.
 *
 * `relaycast`, the node's own STUN responder (nobody else sees the viewers); `custom`, the
 * operator's list (with TURN REST credentials); `none`, host candidates only (one local network).
 */
export const ICE_MODES = ['relaycast', 'custom', 'none'] as const;
export type IceMode = (typeof ICE_MODES)[number];

const modeText = (mode: unknown): string | undefined => (mode === undefined || mode === null ? '' : typeof mode === 'string' ? mode.trim() : undefined);

/** Why `mode` is no ICE mode, or undefined when it is one or blank (blank: the legacy rule decides). */
export function iceModeProblem(mode: unknown): string | undefined {
  const text = modeText(mode);
  if (text !== undefined && (text === '' || (ICE_MODES as readonly string[]).includes(text))) return undefined;
  return `ICE mode must be one of ${ICE_MODES.join(', ')}, got ${JSON.stringify(mode)}`;
}

/**
 * Whether the ICE servers field holds a list: anything but blank or an empty JSON array. Text that
 * is no JSON counts as a list: the deploy refuses it as ICE servers, and the dialog shows it under
 * `custom`, where it can be fixed.
 */
export function hasIceList(iceServers: unknown): boolean {
  const text = typeof iceServers === 'string' ? iceServers.trim() : '';
  if (text === '') return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return !(Array.isArray(parsed) && parsed.length === 0);
  } catch {
    return true;
  }
}

/**
 * The mode in force, or undefined for a mode iceModeProblem refuses. A blank mode is a flow saved
 * before the setting existed (or a node never edited): with an ICE list it keeps that list
 * (`custom`), so an upgrade never drops an operator's TURN server; otherwise the default,
 * `relaycast`.
 */
export function effectiveIceMode(mode: unknown, iceServers: unknown): IceMode | undefined {
  if (iceModeProblem(mode) !== undefined) return undefined;
  const text = modeText(mode);
  if (text === '') return hasIceList(iceServers) ? 'custom' : 'relaycast';
  return text as IceMode;
}

/** The editor's validator for the mode field: true or the deploy's message (two parameters: see lib/config/number-rule.ts). */
export function editorIceModeValidator(value: unknown, _options?: unknown): true | string {
  return iceModeProblem(value) ?? true;
}
