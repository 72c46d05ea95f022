import { source as AXE_SOURCE } from 'axe-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/app-process';
import { ConsoleUi, PHONE } from '../harness/browser/console-ui';
import { VIEWPORT } from '../harness/browser/swagger-ui';
import type { View, Who } from './console-views';
import { brokenTokens, clippedCells, clippedControls } from './console-layout';

/** Ignored by git: what the browser showed where a screen could not be reached. */
const SHOTS = join(REPO_ROOT, 'test-results', 'console');

/** What @axe-core/playwright configures axe with, on a page without frames. */
const AXE_CONFIGURE = `axe.configure({ allowedOrigins: ['<same_origin>'], branding: { application: 'playwright' } })`;

/** axe's serious and critical violations on the page, each as its rule and the nodes' selectors. */
const AXE_RUN = `axe.run(document, {}).then((results) => results.violations
  .filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => 'axe ' + v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join('; ')))`;

/**
 * axe's serious and critical violations on what the page shows now: axe.run, as AxeBuilder's
 * analyze() runs it on a page without frames, but with axe (1.3 MB) sent to a document once.
 * analyze() sent it two or three times per check and opened a page for each: over the 180 checks
 * of a walk of every screen, most of the run's CPU (docs/testing.md).
 */
export async function axeViolations(ui: ConsoleUi): Promise<string[]> {
  if (!(await ui.page.evaluate<boolean>('typeof window.axe?.run === "function"'))) {
    await ui.page.evaluate(AXE_SOURCE);
    await ui.page.evaluate(AXE_CONFIGURE);
  }
  return ui.page.evaluate<string[]>(AXE_RUN);
}

/**
 * Shows each view at 1280 and at 390 px and answers what the checks found, each line naming
 * the role, the view and the width. A view that cannot be reached is photographed (SHOTS).
 */
export async function walkViews(ui: ConsoleUi, who: Who, views: View[]): Promise<string[]> {
  const failures: string[] = [];
  for (const viewport of [VIEWPORT, PHONE]) {
    await ui.page.setViewportSize(viewport);
    for (const view of views) {
      const where = `${who}, ${view.name}, ${viewport.width} px`;
      try {
        await view.show();
      } catch (e) {
        mkdirSync(SHOTS, { recursive: true });
        const shot = join(SHOTS, `${where.replace(/[^a-z0-9]+/gi, '-')}-failed.png`);
        await ui.screenshot(shot).catch(() => undefined);
        failures.push(`${where}: not reached: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      for (const problem of await problems(ui, view, viewport.width === PHONE.width)) {
        failures.push(`${where}: ${problem}`);
      }
    }
  }
  return failures;
}

/**
 * What the checks find on what the page shows now. At both widths, axe, and on a list no table
 * wider than its frame, no header or cell cut, and no one-token value (an action, a code, a
 * time) broken over lines (console-layout.ts). At 1280 px, every Actions button wholly in view,
 * a list's rows naming people, machines and businesses (no uuid), and the walk of the tab order
 * (the same document at 390 px, so walked once). At 390 px, nothing scrolls sideways, no control
 * is cut, and a list starts in the first screen.
 */
async function problems(ui: ConsoleUi, view: View, narrow: boolean): Promise<string[]> {
  const found = await axeViolations(ui);
  if (view.list) {
    found.push(...(await clippedCells(ui.page)), ...(await brokenTokens(ui.page)));
  }
  if (narrow) {
    if (await ui.scrollsSideways()) found.push('scrolls sideways');
    found.push(...(await clippedControls(ui.page)));
    const top = view.list ? await ui.listTop() : null;
    if (view.list && (top === null || top >= PHONE.height)) {
      found.push(`the list starts at ${top} px, below the first screen`);
    }
    return found;
  }
  for (const cut of await ui.clippedActions()) found.push(`action not wholly shown: ${cut}`);
  if (view.list) {
    for (const id of await ui.uuidsInLists()) found.push(`a uuid where a name belongs: ${id}`);
  }
  for (const el of await ui.unreachableByTab()) found.push(`never reached by Tab: ${el}`);
  return found;
}
