import { CONSOLE_CLIENT_HEADER, isConsoleClient } from '../../common/http/console-client';
import type { VerifiedPrincipal } from '../ports';
import { AuthError } from '../auth-error';
import type { Actor, CallerToken } from '../request-context';

/**
 * A business that takes only SSO sessions in the console from its people: a person's other token,
 * presented by the console (which says so in `x-latchkey-client`, in any spelling HTTP allows),
 * is refused there. The setting governs the console, not the API: a caller that does not say it
 * is the console is held to the business's token policy alone; a machine is no one's person.
 */
export function refuseConsoleToken(
  request: { headers: Record<string, string | string[] | undefined> },
  user: VerifiedPrincipal,
): void {
  if (!heldToConsoleSignInSetting(user.actor, user.token)) return;
  if (!isConsoleClient(request.headers[CONSOLE_CLIENT_HEADER])) return;
  throw AuthError.forbidden('SSO_REQUIRED');
}

/**
 * Whether a business's console sign-in setting, off, refuses this caller in the console: a
 * person's business token that is not an SSO session. The setting's own route asks it too, so
 * no owner turns token sign-in off from a token it would then refuse.
 */
export function heldToConsoleSignInSetting(actor: Actor, token: CallerToken): boolean {
  return actor.kind === 'user' && token.businessId !== null && token.origin !== 'console-sso';
}
