/**
 * The header the admin console sends on its calls, and its value: the caller's own word, so a
 * call carrying it is counted apart (usage) and held to a business's console sign-in setting.
 */
export const CONSOLE_CLIENT_HEADER = 'x-latchkey-client';
export const CONSOLE_CLIENT = 'console';

/**
 * Whether a request's `x-latchkey-client` says the console, as HTTP reads a token-valued field:
 * any case, optional whitespace around it, and any element of a list (repeated header lines are
 * joined with commas), so no spelling of the console's word slips past the sign-in setting.
 */
export function isConsoleClient(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const lines = Array.isArray(value) ? value : [value];
  return lines.some((line) =>
    line
      .split(',')
      .some((item) => item.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase() === CONSOLE_CLIENT),
  );
}
