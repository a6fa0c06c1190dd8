// What the editor specs do in the Node-RED editor page and keep of it: open the Relaycast sidebar,
// read a stream's segment count off it, and save a screenshot under .tmp/artifacts/ (or
// $RELAYCAST_ARTIFACTS) that must have content.
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

const ARTIFACTS = process.env.RELAYCAST_ARTIFACTS ?? path.resolve(__dirname, '..', '..', '.tmp', 'artifacts');

export async function openRelaycastSidebar(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).RED.actions.invoke('relaycast:show-sidebar'));
  await page.waitForSelector('.relaycast-sidebar', { state: 'visible' });
}

/** The segment count the sidebar shows for a stream's rendition, undefined while it shows none. */
export function sidebarSegments(page: Page, stream: string, renditionName: string): Promise<number | undefined> {
  return page.evaluate(
    ([s, r]) => {
      const row = document.querySelector(`.relaycast-stream[data-stream="${s}"] tr[data-label="${s} · ${r} · last segment"]`);
      return row ? Number(/(\d+) segments/.exec(row.textContent ?? '')?.[1]) : undefined;
    },
    [stream, renditionName],
  );
}

/** Saves a screenshot of `page` as `name`; asserts it is larger than `minBytes` (not blank). */
export async function screenshot(page: Page, name: string, minBytes: number): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  assert.ok(statSync(file).size > minBytes, `${name} has content`);
  console.log(`      screenshot: ${file}`);
  return file;
}

/**
 * Imports `flow` the way the Import dialog does, shows the tab it landed on and waits until the
 * view has drawn every node of it (a node's size is set when drawn: its label decides the width).
 * Returns that tab's id.
 */
export async function importFlowTab(page: Page, flow: object[]): Promise<string> {
  const tab = await page.evaluate((nodes) => {
    const RED = (window as any).RED;
    const before = new Set<string>();
    RED.nodes.eachNode((n: any) => {
      before.add(n.id);
    });
    // A file without its own tab lands on the active one: give it an empty tab first.
    RED.workspaces.show(RED.workspaces.add().id);
    RED.view.importNodes(nodes, { generateIds: true });
    const tabs = new Set<string>();
    RED.nodes.eachNode((n: any) => {
      if (!before.has(n.id)) tabs.add(n.z);
    });
    if (tabs.size !== 1) throw new Error(`the import put nodes on ${tabs.size} tabs`);
    const added = [...tabs][0];
    RED.workspaces.show(added);
    RED.view.redraw(true);
    return added;
  }, flow);
  await page.waitForFunction((z) => {
    let drawn = true;
    (window as any).RED.nodes.eachNode((n: any) => {
      if (n.z === z && !(n.w > 0 && n.h > 0)) drawn = false;
    });
    return drawn;
  }, tab);
  return tab;
}
