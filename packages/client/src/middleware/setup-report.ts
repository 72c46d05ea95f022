import type { EdgeSetupCheck } from '../edge/results';

/** Where a middleware writes what its operators must fix: `console`, pino, Nest's `Logger`. */
export interface LatchkeyLogger {
  error(message: string): void;
}

/** What `check()` found when Latchkey answers but cannot be asked now: the app may still start. */
export type LatchkeyCheck =
  { ok: true } | { ok: false; code: 'LATCHKEY_UNAVAILABLE'; message: string };

/**
 * Latchkey refuses this service itself, whatever the token: a setting of the app is wrong.
 * `check()` throws it at start; a request meanwhile is answered 500 `LATCHKEY_MISCONFIGURED`.
 */
export class LatchkeyMisconfiguredError extends Error {
  readonly code = 'LATCHKEY_MISCONFIGURED';

  constructor(
    message: string,
    /** What Latchkey answered: `GATEWAY_NOT_TRUSTED`, `VALIDATION_ERROR`, `ROUTE_NOT_FOUND`, or `HTTP 404` (no code). */
    readonly reason: string,
    /** The option to fix. */
    readonly setting: string,
  ) {
    super(message);
    this.name = 'LatchkeyMisconfiguredError';
  }
}

/** The same problem is logged at most once in this long. */
const REPORT_EVERY_MS = 60_000;
const PREFIX = '@latchkey/client:';

interface Problem {
  reason: string;
  setting: string;
  line: string;
}

/**
 * Latchkey's refusal of this service, with the option that fixes it. Never a value: not the
 * secret, not the base URL (which may carry credentials), not a token.
 */
function problemOf(status: number | undefined, code: string | undefined): Problem {
  const reason = code ?? `HTTP ${status}`;
  const answered = code === undefined ? reason : `${status} ${code}`;
  const refused = `Latchkey refused this service's check (${answered})`;
  if (code === 'GATEWAY_NOT_TRUSTED') {
    const setting = 'verifierOptions.gatewaySecret';
    return {
      reason,
      setting,
      line: `${refused}: set ${setting} (or the shared verifier's gatewaySecret) to Latchkey's VERIFY_GATEWAY_SECRET; a limit needs it too`,
    };
  }
  if (status === 404) {
    return {
      reason,
      setting: 'baseUrl',
      line: `nothing answers GET /auth/verify at baseUrl (${answered}): set baseUrl to Latchkey's PUBLIC_BASE_URL`,
    };
  }
  const setting = 'businessId, scopes, limit';
  return { reason, setting, line: `${refused}: check the options ${setting}` };
}

/** No status: no connection, or none within `requestTimeoutMs`. */
const whyUnavailable = (status: number | undefined) =>
  status === undefined ? 'no answer' : `HTTP ${status}`;

/**
 * What a middleware tells its operators, each problem at most once a minute (with how many
 * requests met it meanwhile), so a refusal on every request never floods the log.
 */
export class SetupReport {
  private readonly last = new Map<string, { at: number; since: number }>();

  constructor(private readonly logger: LatchkeyLogger) {}

  /** Latchkey refused this service: the requests are answered 500 until a setting changes. */
  misconfigured(status: number | undefined, code: string | undefined): void {
    const { reason, line } = problemOf(status, code);
    const then = 'requests are answered 500 until then';
    this.log(`misconfigured ${reason}`, `LATCHKEY_MISCONFIGURED: ${line}; ${then}`);
  }

  /** Latchkey could not be asked: requests it has not vouched for are answered 503. */
  unavailable(status: number | undefined): void {
    this.log(
      'unavailable',
      `LATCHKEY_UNAVAILABLE: Latchkey could not be asked (${whyUnavailable(status)}); requests are answered 503 with Retry-After until it answers`,
    );
  }

  /** A route that requires scopes, which the middleware never saw the request of. */
  unguarded(): void {
    this.log(
      'unguarded',
      'LATCHKEY_MISCONFIGURED: a route requires scopes but the latchkey middleware does not guard it: register the middleware before requireScopes, on that route too',
    );
  }

  /**
   * What `check()` answers: Latchkey takes this service's checks, or cannot be asked now (said
   * in the log too), or the misconfiguration thrown, for the app to stop at start.
   */
  settle(found: EdgeSetupCheck): LatchkeyCheck {
    if (found.ok) return found;
    if (found.reason === 'misconfigured') {
      const { reason, setting, line } = problemOf(found.status, found.code);
      const message = `${PREFIX} LATCHKEY_MISCONFIGURED: ${line}`;
      throw new LatchkeyMisconfiguredError(message, reason, setting);
    }
    this.unavailable(found.status);
    const message = `Latchkey could not be asked (${whyUnavailable(found.status)})`;
    return { ok: false, code: 'LATCHKEY_UNAVAILABLE', message };
  }

  private log(key: string, line: string): void {
    const now = Date.now();
    const seen = this.last.get(key);
    if (seen !== undefined && now - seen.at < REPORT_EVERY_MS) {
      seen.since++;
      return;
    }
    const more = seen?.since ? ` (${seen.since} more since the last report)` : '';
    this.last.set(key, { at: now, since: 0 });
    try {
      this.logger.error(`${PREFIX} ${line}${more}`);
    } catch {
      // A logger that throws must not turn the refusal into an unanswered request.
    }
  }
}

/** For `requireScopes` on a route no middleware saw: it has no options, so no logger of its own. */
export const unguardedReport = new SetupReport(console);
