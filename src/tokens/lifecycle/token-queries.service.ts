import { Injectable } from '@nestjs/common';
import type { CallerToken, RequestContext } from '../../auth/request-context';
import { AuthError } from '../../auth/auth-error';
import { TokenDetailDto, TokenViewDto } from '../dto/token-view.dto';
import { RiskyTokenDto } from '../dto/risky-token.dto';
import { createdKey, Page, paginate, PageQueryDto } from '../../common/validation/pagination';
import { Database, ReadRouting } from '../../database/connection/read-routing';
import type { Reader } from '../../database/units/reader';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { ListPlatformTokensQueryDto, ListTokensQueryDto } from '../dto/token-requests.dto';
import { TokenAccess } from '../policy/token-access';
import { staleBefore } from '../policy/token-risk';
import { isVerifiedToken } from '../verify/token-record';
import { TokenVerifier } from '../verify/token-verifier';
import {
  SUMMARY_COLUMNS,
  TokenListColumns,
  TokenListsRepository,
} from '../store/repositories/token-lists.repository';
import {
  columnsOfFields,
  pickTokenFields,
  type SparseTokenView,
  type TokenViewField,
} from '../dto/token-view-fields';
import type { ApiToken } from '../store/entities/api-token.entity';
import { TokensRepository } from '../store/repositories/tokens.repository';
import { tokenNotFound } from '../token-error';
import { UsesMeter } from '../usage/uses/uses-meter';
import { StatusListReferences } from '../status/status-list-references';
import type { StatusListReference } from '../status/token-status-list';
import { pageOfTokens } from './token-list-pages';

/** What can be read of tokens: lists, one token, the caller's own, and RFC 7662 introspection. */
@Injectable()
export class TokenQueriesService {
  private readonly rowViews = new WeakMap<object, TokenViewDto>();

  constructor(
    private readonly tokens: TokensRepository,
    private readonly lists: TokenListsRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly access: TokenAccess,
    private readonly verifier: TokenVerifier,
    private readonly reads: ReadRouting,
    private readonly uses: UsesMeter,
    private readonly database: Database,
    private readonly statusLists: StatusListReferences,
  ) {}

  /**
   * The names of tokens a report counts, by id: the business's (null: any business's, for a
   * platform report), read with the report's own reader. A token since deleted has none.
   */
  async namesOf(
    businessId: string | null,
    ids: readonly string[],
    db: Reader,
  ): Promise<ReadonlyMap<string, string>> {
    const rows =
      businessId === null
        ? await this.tokens.namesByIdsAnyBusiness(ids, db)
        : await this.tokens.namesByIds(businessId, ids, db);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** A stored token's view, with the uses this process holds of it counted as left. */
  private readonly view = (token: ApiToken) =>
    TokenViewDto.of(token, new Date(), this.uses.remainingOfRow(token));

  /**
   * A page's views, and the columns it reads: with `fields`, only those fields (and `id`), read
   * from the summary's columns when they hold them all. Each token's status is as of one instant
   * for the page, taken before its read, so a token the read found live is shown live.
   */
  private viewsOf(fields: readonly TokenViewField[] | undefined): {
    columns: TokenListColumns;
    view: (token: ApiToken) => SparseTokenView;
  } {
    const now = new Date();
    if (!fields)
      return {
        columns: 'all',
        view: (token) => TokenViewDto.of(token, now, this.uses.remainingOfRow(token)),
      };
    const needed = [...columnsOfFields(fields)];
    const counted = fields.includes('uses_remaining');
    return {
      columns: needed.every((c) => SUMMARY_COLUMNS.has(c)) ? 'summary' : 'all',
      view: (token) =>
        pickTokenFields(
          TokenViewDto.of(token, now, counted ? this.uses.remainingOfRow(token) : null),
          fields,
        ),
    };
  }

  list(ctx: RequestContext, query: ListTokensQueryDto): Promise<Page<SparseTokenView>> {
    // Without the right to manage every token, a caller lists only their own.
    const own = !this.access.managesAll(ctx);
    if (own && query.identity_id && query.identity_id !== ctx.actor.id) {
      return Promise.resolve({ items: [], next_cursor: null });
    }
    const filters = {
      status: query.status,
      identityId: own ? ctx.actor.id : query.identity_id,
      namePrefix: query.name,
      search: query.q,
    };
    const { columns, view } = this.viewsOf(query.fields);
    // A list may come from a replica that holds the caller's own last change (ReadRouting).
    return this.reads.read(ctx.actor.id, (from) =>
      pageOfTokens(
        query,
        query.sort,
        (limit, order) =>
          this.lists.listInBusiness(ctx.businessId, filters, limit, order, from, columns),
        view,
      ),
    );
  }

  /** Who holds or held tokens of the caller's business, at most `limit` of them. */
  holderIdsOf(ctx: RequestContext, limit: number): Promise<string[]> {
    return this.lists.holderIdsInBusiness(ctx.businessId, limit, this.database.primary);
  }

  /**
   * The active tokens worth a look (`riskReasonsOf`), each with its reasons, oldest first; seen as
   * the list sees them: every token for a caller who manages all, else the caller's own.
   */
  listRisky(ctx: RequestContext, query: PageQueryDto): Promise<Page<RiskyTokenDto>> {
    const now = new Date();
    const filters = { identityId: this.access.managesAll(ctx) ? undefined : ctx.actor.id };
    return this.reads.read(ctx.actor.id, (from) =>
      paginate(
        query,
        (limit, after) =>
          this.lists.listRiskyInBusiness(
            ctx.businessId,
            filters,
            staleBefore(now),
            limit,
            after,
            from,
          ),
        createdKey,
        (t) => RiskyTokenDto.risky(t, now),
      ),
    );
  }

  /** `readerId`: the identity asking (null for the CLI's operator), whose own changes it sees. */
  listAnyBusiness(
    readerId: string | null,
    query: ListPlatformTokensQueryDto,
  ): Promise<Page<SparseTokenView>> {
    const filters = {
      status: query.status,
      identityId: query.identity_id,
      namePrefix: query.name,
      search: query.q,
      businessId: query.business_id,
    };
    const { columns, view } = this.viewsOf(query.fields);
    return this.reads.read(readerId, (from) =>
      pageOfTokens(
        query,
        query.sort,
        (limit, order) => this.lists.listAnyBusiness(filters, limit, order, from, columns),
        view,
      ),
    );
  }

  /** One token the caller may see, with where its status is published. */
  async get(ctx: RequestContext, tokenId: string): Promise<TokenDetailDto> {
    const token = await this.access.findVisible(ctx, tokenId, this.database.primary);
    return { ...this.view(token), status_list: this.statusLists.referenceOf(token) };
  }

  /** One token of any business, platform tokens included: for the CLI's operator. */
  async getAnyBusiness(tokenId: string): Promise<TokenViewDto> {
    const token = await this.tokens.findByIdAnyBusiness(tokenId, this.database.primary);
    if (!token) throw tokenNotFound();
    return this.view(token);
  }

  /**
   * RFC 7662, on the verifier's own admission: what it would refuse as a bearer, and a token of
   * another business or of a suspended one, is only `{active: false}`. A token the cache holds
   * costs no query.
   */
  async introspect(caller: CallerToken, secret: string): Promise<Record<string, unknown>> {
    if (caller.businessId !== null) {
      const own = caller.business ?? (await this.tenancy.findBusiness(caller.businessId));
      if (own?.status !== 'active') {
        throw AuthError.forbidden('BUSINESS_SUSPENDED');
      }
    }
    const principal = await this.verifier.inspect(secret);
    const token = principal?.token;
    const inactive = { active: false };
    if (!token) return inactive;
    if (caller.businessId !== null && token.businessId !== caller.businessId) return inactive;
    if (token.businessId !== null && token.business?.status !== 'active') return inactive;
    return {
      active: true,
      scope: token.scopes === null ? null : token.scopes.join(' '),
      sub: principal.actor.id,
      business_id: token.businessId,
      exp: token.expiresAt ? Math.floor(token.expiresAt.getTime() / 1000) : null,
      iat: Math.floor(token.createdAt.getTime() / 1000),
      jti: token.jti,
      // RFC 9449 §6.2: a key-bound token is of type DPoP, and its key's thumbprint is `cnf.jkt`.
      token_type: token.dpopJkt ? 'DPoP' : 'Bearer',
      ...(token.dpopJkt ? { cnf: { jkt: token.dpopJkt } } : {}),
      // RFC 7662 §2.2's `aud`: the resources it may be used at, when it is bound to some.
      ...(token.audiences ? { aud: [...token.audiences] } : {}),
      meta: isVerifiedToken(token) ? (token.row.meta ?? null) : null,
      uses_remaining: await this.uses.remainingOf(token.id, token.uses ?? null),
      ...statusMember(token.statusList ?? null),
    };
  }

  /** Where the caller's token's status is published (null: it has no place). */
  async statusListOf(caller: CallerToken): Promise<StatusListReference | null> {
    if (caller.statusList !== undefined) return caller.statusList;
    const row = await this.tokens.reload(caller, this.database.primary);
    return row ? this.statusLists.referenceOf(row) : null;
  }

  /** The view of the token making the call. */
  async callerTokenView(caller: CallerToken): Promise<TokenViewDto> {
    // The verifier's row is at most one cache TTL old, and evicted by every change to it. Its
    // view is built once per cached row (frozen, shared by the requests the row serves).
    if (isVerifiedToken(caller)) {
      let view = this.rowViews.get(caller.row);
      if (!view) this.rowViews.set(caller.row, (view = Object.freeze(TokenViewDto.of(caller.row))));
      // A limited token's count is this request's, not the cached row's.
      return caller.uses ? { ...view, uses_remaining: caller.uses.remaining } : view;
    }
    const token = await this.tokens.reload(caller, this.database.primary);
    if (!token) throw tokenNotFound();
    return TokenViewDto.of(token);
  }
}

/** The draft's `status` member (draft-ietf-oauth-status-list, section 6.1), when there is one. */
function statusMember(reference: StatusListReference | null) {
  return reference ? { status: { status_list: reference } } : {};
}
