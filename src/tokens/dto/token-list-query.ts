import { isUUID } from 'class-validator';
import { TOKEN_STATUSES, type TokenStatus } from '../token-status';
import { tokenFieldsOf, type TokenViewField } from './token-view-fields';

export const TOKEN_SORTS = ['created_at', '-created_at', 'last_used_at'] as const;
export type TokenSort = (typeof TOKEN_SORTS)[number];

/** What a token list's query holds once checked: `ListTokensQueryDto`'s fields. */
export interface TokenListQuery {
  limit?: number;
  cursor?: string;
  status?: TokenStatus;
  identity_id?: string;
  name?: string;
  sort?: TokenSort;
  q?: string;
  fields?: TokenViewField[];
}

/** A limit as a page's link or a person writes it: 1 to 200, no sign, zeros or spaces. */
const PLAIN_LIMIT = /^[1-9]\d{0,2}$/;

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

/**
 * The list's query when each parameter is given once and is plainly valid, as
 * `ListTokensQueryDto`'s decorators would make it (a limit as a number, the fields in the view's
 * order); undefined for anything else (a repeated parameter, `q`, an unknown name, a value the
 * full check might refuse), which the full check then judges, so each 422 stays its own. Every
 * page of the console's tables is read through here (docs/performance.md, "The token list").
 */
export function quickListQuery(
  plain: Readonly<Record<string, unknown>>,
): TokenListQuery | undefined {
  const query: TokenListQuery = {};
  for (const key of Object.keys(plain)) {
    const value = plain[key];
    if (typeof value !== 'string') return undefined;
    switch (key) {
      case 'limit':
        if (!PLAIN_LIMIT.test(value) || Number(value) > 200) return undefined;
        query.limit = Number(value);
        break;
      // A length in UTF-16 units is at least one in code points, as MaxLength counts.
      case 'cursor':
        if (value.length > 512) return undefined;
        query.cursor = value;
        break;
      case 'name':
        if (value.length > 100) return undefined;
        query.name = value;
        break;
      case 'status':
        if (!isOneOf(TOKEN_STATUSES, value)) return undefined;
        query.status = value;
        break;
      case 'sort':
        if (!isOneOf(TOKEN_SORTS, value)) return undefined;
        query.sort = value;
        break;
      case 'identity_id':
        if (!isUUID(value)) return undefined;
        query.identity_id = value;
        break;
      case 'fields': {
        const fields = tokenFieldsOf(value);
        if (!fields) return undefined;
        query.fields = fields;
        break;
      }
      default:
        return undefined;
    }
  }
  return query;
}
