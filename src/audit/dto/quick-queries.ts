/**
 * Quick acceptances (`QuickAccept`) of the audit log's hot queries: a page, and the inclusion and
 * consistency proofs. Each gives the DTO's fields for input it knows the full check would accept
 * and turn into exactly these values, and undefined for anything else, which the full check then
 * judges, so every 422 stays its own. class-transformer and class-validator allocated about a
 * tenth of a page's bytes and a fifth of a proof's (docs/performance.md, "The audit log at
 * scale").
 */

/** The largest `seq` and tree size there can be: the columns are 32-bit integers. */
export const MAX_SIZE = 2_147_483_647;

/** How an action filter reads (`token.revoked`). */
export const ACTION = /^[a-z_]+\.[a-z_]+$/;

/** A limit as a page's link writes it: 1 to 200, no sign, zeros or spaces. */
const PLAIN_LIMIT = /^[1-9]\d{0,2}$/;
/** A whole number as a link writes it, with no sign, zeros or spaces. */
const PLAIN_WHOLE = /^[1-9]\d{0,9}$/;

/** At most this many `action` filters (the DTO's `ArrayMaxSize`). */
export const MAX_ACTIONS = 20;

type Plain = Readonly<Record<string, unknown>>;

/** The fields of AuditQueryDto a quick acceptance fills (the DTO imports this file). */
export interface QuickAuditQuery {
  limit?: number;
  cursor?: string;
  action?: string[];
}

/** `limit`, `cursor` and `action`, each plainly valid; any other filter takes the full check. */
export function quickAuditQuery(plain: Plain): QuickAuditQuery | undefined {
  const query: QuickAuditQuery = {};
  for (const key of Object.keys(plain)) {
    const value = plain[key];
    switch (key) {
      case 'limit':
        if (typeof value !== 'string' || !PLAIN_LIMIT.test(value) || Number(value) > 200) {
          return undefined;
        }
        query.limit = Number(value);
        break;
      // A length in UTF-16 units is at least one in code points, as MaxLength counts.
      case 'cursor':
        if (typeof value !== 'string' || value.length > 512) return undefined;
        query.cursor = value;
        break;
      case 'action': {
        const actions = typeof value === 'string' ? [value] : value;
        if (!Array.isArray(actions) || actions.length === 0 || actions.length > MAX_ACTIONS) {
          return undefined;
        }
        for (const action of actions as unknown[]) {
          if (typeof action !== 'string' || !ACTION.test(action)) return undefined;
        }
        query.action = [...(actions as string[])];
        break;
      }
      default:
        return undefined;
    }
  }
  return query;
}

/** The value of a whole-number parameter from 1 to MAX_SIZE, or undefined. */
function plainWhole(value: unknown): number | undefined {
  if (typeof value !== 'string' || !PLAIN_WHOLE.test(value)) return undefined;
  const n = Number(value);
  return n <= MAX_SIZE ? n : undefined;
}

/**
 * Input whose keys are exactly `required` plus any of `optional`, each a plain whole number: the
 * fields, or undefined.
 */
export function quickWholes(
  required: readonly string[],
  optional: readonly string[] = [],
): (plain: Plain) => Record<string, number> | undefined {
  return (plain) => {
    const fields: Record<string, number> = {};
    let found = 0;
    for (const key of Object.keys(plain)) {
      const known = required.includes(key);
      if (!known && !optional.includes(key)) return undefined;
      const n = plainWhole(plain[key]);
      if (n === undefined) return undefined;
      fields[key] = n;
      if (known) found++;
    }
    return found === required.length ? fields : undefined;
  };
}
