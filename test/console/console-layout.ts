import type { Page } from 'playwright-core';

/**
 * What a list screen's layout must keep, read from the page as it is shown (console-walk.ts runs
 * these on every list screen, at 1280 and at 390 px). Strings, not functions: this file is
 * compiled without the DOM's types. Each check answers its findings, one line each, naming the
 * table (its region's label) and the cell or control by its text.
 */

/** The shared helpers of the checks below, defined once per evaluation. */
const HELPERS = `
  const shown = (el) => el.getClientRects().length > 0 &&
    el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const text = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 60);
  const where = (el) => {
    const region = el.closest('[role=region][aria-label]');
    return region ? region.getAttribute('aria-label') : el.tagName.toLowerCase();
  };
  const clips = (el) => /(auto|scroll|hidden|clip)/.test(getComputedStyle(el).overflowX);
  /** The distinct lines an element's text sits on. */
  const lines = (el) => {
    const tops = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.push(Math.round(r.top));
    }
    return tops.filter((t, i) => tops.findIndex((u) => Math.abs(u - t) < 3) === i).length;
  };
  /** What a cell's text spans, left to right, as shown: cut where an element inside it clips. */
  const span = (cell) => {
    let left = Infinity;
    let right = -Infinity;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let lo = -Infinity;
      let hi = Infinity;
      for (let up = node.parentElement; up && up !== cell; up = up.parentElement) {
        if (!clips(up)) continue;
        const box = up.getBoundingClientRect();
        lo = Math.max(lo, box.left);
        hi = Math.min(hi, box.right);
      }
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width === 0) continue;
        left = Math.min(left, Math.max(r.left, lo));
        right = Math.max(right, Math.min(r.right, hi));
      }
    }
    return right === -Infinity ? null : { left, right };
  };
`;

/**
 * Every table wider than its frame, and every header or cell cut: beyond its frame's edge, its
 * text spilling out of it, or hidden by its own overflow (text-overflow: ellipsis) with no title
 * to say the whole of it.
 */
const CLIPPED_CELLS = `(() => {
  ${HELPERS}
  const out = [];
  for (const table of document.querySelectorAll('main table, dialog[open] table')) {
    if (!shown(table)) continue;
    const frame = table.parentElement;
    const name = where(table);
    if (table.offsetWidth > frame.clientWidth + 1) {
      out.push(name + ': the table is ' + table.offsetWidth + ' px in a frame of ' + frame.clientWidth + ' px');
    }
    const edge = frame.getBoundingClientRect();
    const right = Math.min(edge.left + frame.clientWidth, document.documentElement.clientWidth);
    for (const cell of table.querySelectorAll('th, td')) {
      // A phone's cards keep the header row for screen readers only, clipped to nothing.
      if (!shown(cell) || getComputedStyle(cell.closest('thead') ?? cell).clip !== 'auto') continue;
      const box = cell.getBoundingClientRect();
      if (box.width === 0) continue;
      if (box.right > right + 1) {
        out.push(name + ': "' + text(cell) + '" is cut by the frame');
        continue;
      }
      const content = span(cell);
      if (content && (content.right > box.right + 1 || content.left < box.left - 1)) {
        out.push(name + ': "' + text(cell) + '" spills out of its cell');
      }
      for (const el of [cell, ...cell.querySelectorAll('*')]) {
        if (!shown(el) || !clips(el) || el.scrollWidth <= el.clientWidth + 1) continue;
        if (el.closest('[title]')) continue;
        out.push(name + ': "' + text(el) + '" is cut, with no title to show it whole');
      }
    }
  }
  return out;
})()`;

/**
 * Values that are one token (an action name, a rule's code, a time, a preview): those marked
 * \`data-token\`, every <time> and every <code> in a list but an id (which may break anywhere).
 * Each found on more than one line was broken mid-token.
 */
const BROKEN_TOKENS = `(() => {
  ${HELPERS}
  const out = [];
  const marked = document.querySelectorAll(
    'main [data-token], dialog[open] [data-token], main table time, main table code:not(.id)');
  for (const el of marked) {
    if (!shown(el)) continue;
    if (lines(el) > 1) out.push(where(el) + ': "' + text(el) + '" is broken over ' + lines(el) + ' lines');
  }
  return out;
})()`;

/**
 * The controls a person cannot wholly see: outside the window, cut by a frame that scrolls or
 * hides (a strip of navigation), their label cut by their own width, a select whose chosen
 * option does not fit, or a group of segments (one choice of several) wrapped onto two rows.
 */
const CLIPPED_CONTROLS = `(() => {
  ${HELPERS}
  const out = [];
  const scope = document.querySelector('dialog[open]') ?? document.body;
  const width = document.documentElement.clientWidth;
  const controls = scope.querySelectorAll(
    'a[href], button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, summary, .segment');
  const probe = document.createElement('span');
  probe.setAttribute('aria-hidden', 'true');
  probe.style.position = 'absolute';
  probe.style.visibility = 'hidden';
  probe.style.whiteSpace = 'pre';
  document.body.append(probe);
  for (const el of controls) {
    if (!shown(el) || el.closest('.visually-hidden, .skip-link, thead')) continue;
    // A long name cut with an ellipsis in a list, its title saying the whole (ui/names/Clip.tsx).
    let cut = el.parentElement;
    while (cut && cut !== document.body && !clips(cut)) cut = cut.parentElement;
    if (cut && getComputedStyle(cut).textOverflow === 'ellipsis' && cut.closest('[title]')) continue;
    const box = el.getBoundingClientRect();
    const name = text(el) || el.outerHTML.slice(0, 60);
    if (box.left < -0.5 || box.right > width + 0.5) {
      out.push('"' + name + '" is outside the window');
      continue;
    }
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (!clips(up)) continue;
      const frame = up.getBoundingClientRect();
      if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
        out.push('"' + name + '" is cut by ' + up.tagName.toLowerCase() + '.' + up.className);
        break;
      }
    }
    if (el.tagName === 'SELECT' && el.selectedOptions[0]) {
      const style = getComputedStyle(el);
      probe.style.font = style.font;
      probe.textContent = el.selectedOptions[0].text;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      if (probe.offsetWidth > room) out.push('"' + probe.textContent + '" is cut in its select');
    } else if (el.tagName !== 'INPUT' && el.tagName !== 'TEXTAREA' && el.scrollWidth > el.clientWidth + 1) {
      out.push('"' + name + '" has its label cut');
    }
  }
  probe.remove();
  for (const group of scope.querySelectorAll('.segmented')) {
    if (!shown(group)) continue;
    const tops = [...group.querySelectorAll('.segment')].map((s) => Math.round(s.getBoundingClientRect().top));
    if (new Set(tops).size > 1) out.push('"' + text(group) + '": its segments wrap onto ' + new Set(tops).size + ' rows');
  }
  return out;
})()`;

/** Tables wider than their frames, and headers or cells cut or spilling (CLIPPED_CELLS). */
export function clippedCells(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(CLIPPED_CELLS);
}

/** Single-token values broken over lines (BROKEN_TOKENS). */
export function brokenTokens(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(BROKEN_TOKENS);
}

/** Controls not wholly shown (CLIPPED_CONTROLS). */
export function clippedControls(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(CLIPPED_CONTROLS);
}
