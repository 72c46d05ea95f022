/** Saves a Blob as a file through a temporary Blob URL (no inline script, CSP-safe). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started by then; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
