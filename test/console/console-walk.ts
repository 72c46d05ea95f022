import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/app-process';
import { ConsoleUi, PHONE } from '../harness/browser/console-ui';
import { VIEWPORT } from '../harness/browser/swagger-ui';
import type { View, Who } from './console-views';

/** Ignored by git: what the browser showed where a screen could not be reached. */
const SHOTS = join(REPO_ROOT, 'test-results', 'console');

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
 * What the checks find on what the page shows now. At both widths, axe. At 1280 px, every
 * Actions button wholly in view, a list's rows naming people, machines and businesses (no
 * uuid), and the walk of the tab order (the same document at 390 px, so walked once). At
 * 390 px, nothing scrolls sideways, and a list starts in the first screen.
 */
async function problems(ui: ConsoleUi, view: View, narrow: boolean): Promise<string[]> {
  const found: string[] = [];
  const axe = await new AxeBuilder({ page: ui.page }).analyze();
  for (const v of axe.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      found.push(`axe ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
    }
  }
  if (narrow) {
    if (await ui.scrollsSideways()) found.push('scrolls sideways');
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
