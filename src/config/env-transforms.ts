/**
 * How an environment variable's text becomes the value a config class validates: the one
 * spelling of each, for every config class. A value that does not parse is passed on unchanged,
 * so the validator names the variable and what it must be.
 */

/** `"42"` (trimmed, optionally negative) to 42. */
export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** `1`, `true`, `yes`, `on` to true; `0`, `false`, `no`, `off` and empty to false (any case). */
export const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
};
