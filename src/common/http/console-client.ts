/**
 * The header the admin console sends on its calls, and its value: the caller's own word, so a
 * call carrying it is counted apart (usage) and held to a business's console sign-in setting.
 */
export const CONSOLE_CLIENT_HEADER = 'x-latchkey-client';
export const CONSOLE_CLIENT = 'console';
