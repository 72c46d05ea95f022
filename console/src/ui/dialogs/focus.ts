/**
 * Gives focus back to the control that opened a dialog. When that control then leaves the page
 * (the row it sat in was revoked, removed or deleted once the list refetched), focus goes to the
 * page's main region rather than falling to <body>, where a keyboard user would start over from
 * the top of the document. The watch ends as soon as focus moves anywhere, or after 10 s.
 */
export function returnFocus(opener: HTMLElement | null): void {
  const fallback = () => document.getElementById('main')?.focus();
  if (!opener?.isConnected) {
    fallback();
    return;
  }
  opener.focus();
  const stop = () => {
    watcher.disconnect();
    document.removeEventListener('focusin', stop);
    clearTimeout(timer);
  };
  const watcher = new MutationObserver(() => {
    if (opener.isConnected) return;
    stop();
    if (document.activeElement === null || document.activeElement === document.body) fallback();
  });
  watcher.observe(document.body, { childList: true, subtree: true });
  document.addEventListener('focusin', stop);
  const timer = setTimeout(stop, 10_000);
}
