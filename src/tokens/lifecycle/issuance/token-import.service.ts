import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../../auth/request-context';
import { RequestValidationError, ValidationIssue } from '../../../common/errors/domain-error';
import type { Author } from '../../../database/units/domain-event';
import { activeTokensKey, readUnderKeyLocks } from '../../../database/units/key-lock';
import { Transaction, UnitOfWork } from '../../../database/units/unit-of-work';
import { TenancyDirectory } from '../../../tenancy/tenancy-directory';
import { ImportedKeyDto, ImportResultDto } from '../../dto/token-import.dto';
import { TokenViewDto } from '../../dto/token-view.dto';
import { TokenAccess } from '../../policy/token-access';
import { expiryUnderMaker } from '../../policy/token-lifetime';
import type { ApiToken } from '../../store/entities/api-token.entity';
import { TokensRepository } from '../../store/repositories/tokens.repository';
import { TokenError } from '../../token-error';
import { importedPreview } from '../../token-secret';
import { tokenRef, TokensImportedEvent } from '../../tokens.events';
import type { IssueTokenInput } from './issue-token-input';
import { TokenIssuanceService } from './token-issuance.service';

/** Who imports: the author of the events, and what the making token caps. */
interface ImportMaker {
  author: Author;
  /** The making token's expiry, which no imported key outlives; null: none (the operator). */
  expiresAt: Date | null;
  /** Refuses scopes the maker may not grant (403 SCOPE_ESCALATION). */
  assertMayGrant(scopes: string[] | null): void;
  /**
   * The business's approval rule holds the keys back, as it does a create: an owner may not
   * bring in what they may not make alone. The operator (the CLI) is exempt, as everywhere.
   */
  approvalGated: boolean;
}

const ADMITTED = (): Promise<void> => Promise.resolve();
/** The lock two imports of one hash take, so that the second sees the first's row. */
const importedHashKey = (hash: string) => `imported-hash:${hash}`;
const locOf = (i: number, field: string) => ['body', 'keys', i, field];

/**
 * Keys brought from another service, by their SHA-256: stored as tokens of the business (origin
 * `import`) through the one issuance path, all in one unit of work or none.
 *
 * Not a row of the token policy: no secret is made or handed to anyone (the holder has had the key
 * all along), so "people make their own tokens" has nothing to guard; the route asks for the
 * owner role and `tokens:admin`, as moving a business's keys in is the owner's decision.
 */
@Injectable()
export class TokenImportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: TokensRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly access: TokenAccess,
    private readonly issuance: TokenIssuanceService,
  ) {}

  /** Imports for the request's business, each key capped by the calling token. */
  import(ctx: RequestContext, keys: ImportedKeyDto[]): Promise<ImportResultDto> {
    return this.importInto(ctx.businessId, keys, {
      author: ctx.author,
      expiresAt: ctx.token.expiresAt,
      assertMayGrant: (scopes) => this.access.assertMayGrant(ctx, scopes),
      approvalGated: true,
    });
  }

  /** For the CLI: the operator, whom no calling token caps, audited as `author`. */
  importAsOperator(
    author: Author,
    businessId: string,
    keys: ImportedKeyDto[],
  ): Promise<ImportResultDto> {
    return this.importInto(businessId, keys, {
      author,
      expiresAt: null,
      assertMayGrant: () => undefined,
      approvalGated: false,
    });
  }

  private async importInto(
    businessId: string,
    keys: ImportedKeyDto[],
    maker: ImportMaker,
  ): Promise<ImportResultDto> {
    const inputs = keys.map((key, i) => inputOf(businessId, key, i, maker));
    const hashes = [...new Set(keys.map((k) => k.hash))].sort();
    if (hashes.length < keys.length) throw hashInUse('names one key twice');
    try {
      return await this.uow.run(async (tx) => {
        // Every hash's lock first, in one order, so that parallel imports of a hash queue rather
        // than both pass the check (PostgreSQL; SQLite runs one unit of work at a time).
        const held = await readUnderKeyLocks(
          hashes.map(importedHashKey),
          'exclusive',
          () => this.tokens.anyHashHeldAnyBusiness(hashes, tx),
          tx,
        );
        await this.assertMembers(businessId, keys, tx);
        if (held) throw hashInUse('holds a key that a token holds already');
        const tokens = await this.store(maker.author, inputs, keys, tx);
        await tx.publish(new TokensImportedEvent(maker.author, businessId, tokens.map(tokenRef)));
        const now = new Date();
        return { imported: tokens.length, tokens: tokens.map((t) => TokenViewDto.of(t, now)) };
      });
    } catch (e) {
      // The locks above make this a backstop: the hash's unique index, should a row have come
      // in by another path meanwhile. The error is replaced, never logged: it holds the hash.
      if (isHashConflict(e)) throw hashInUse('holds a key that a token holds already');
      throw e;
    }
  }

  /**
   * Each holder must be a member of this business, read under its issuance lock. One that is not
   * is refused at its field with the same words whether it exists elsewhere or nowhere.
   */
  private async assertMembers(businessId: string, keys: ImportedKeyDto[], tx: Transaction) {
    const ids = [...new Set(keys.map((k) => k.identity_id))].sort();
    const members = await this.tenancy.membersUnderLock(businessId, ids, tx);
    const issues: ValidationIssue[] = [];
    keys.forEach((key, i) => {
      if (members.has(key.identity_id)) return;
      issues.push({
        loc: locOf(i, 'identity_id'),
        msg: 'Input should be a member identity (user or machine) of this business',
        type: 'not_a_member',
        input: key.identity_id,
      });
    });
    if (issues.length > 0) throw new RequestValidationError(issues);
  }

  /**
   * Each key through the issuance path, in the order given. Every holder's cap key is taken
   * first, in one order, before the first event takes the audit chain head: a create takes its
   * holder's key, then the head, so a batch taking keys after the head could deadlock with it.
   */
  private async store(
    author: Author,
    inputs: IssueTokenInput[],
    keys: ImportedKeyDto[],
    tx: Transaction,
  ): Promise<ApiToken[]> {
    const ids = [...new Set(inputs.map((input) => input.identityId))].sort();
    const businessId = inputs[0].businessId;
    const capKeys = ids.map((id) => activeTokensKey(businessId, id));
    await readUnderKeyLocks(capKeys, 'exclusive', () => Promise.resolve(), tx);
    const tokens: ApiToken[] = [];
    for (const [i, input] of inputs.entries()) {
      const { hash, preview } = keys[i];
      const given = { hash, preview: preview ?? importedPreview(hash) };
      tokens.push(await this.issuance.storeImported(author, input, given, ADMITTED, tx));
    }
    return tokens;
  }
}

/** A key's terms, checked as a create's are: in the future, within the maker's expiry and scopes. */
function inputOf(
  businessId: string,
  key: ImportedKeyDto,
  i: number,
  maker: ImportMaker,
): IssueTokenInput {
  const askedAt = key.expires_at ? locOf(i, 'expires_at') : null;
  if (key.expires_at && key.expires_at.getTime() <= Date.now()) {
    throw new RequestValidationError([
      { loc: locOf(i, 'expires_at'), msg: 'Input should be in the future', type: 'date_future' },
    ]);
  }
  const scopes = key.scopes ?? null;
  maker.assertMayGrant(scopes);
  const expiry = expiryUnderMaker(key.expires_at ?? null, askedAt, maker.expiresAt);
  return {
    businessId,
    identityId: key.identity_id,
    name: key.name,
    scopes,
    scopesAsked: scopes !== null,
    expiresAt: expiry.expiresAt,
    expiryAskedAt: askedAt,
    makerBreaches: expiry.breach ? [expiry.breach] : [],
    meta: key.meta ?? null,
    approvalGated: maker.approvalGated,
  };
}

/** 409 for the whole batch; `why` never names the key's hash, nor the business that holds it. */
function hashInUse(why: string): TokenError {
  return new TokenError('TOKEN_HASH_IN_USE', `This import ${why}: nothing was imported`);
}

/** The unique index on `api_tokens.token_hash` refused an insert (PostgreSQL, or SQLite). */
function isHashConflict(e: unknown): boolean {
  const driver = (e as { driverError?: { code?: unknown; constraint?: unknown } }).driverError;
  if (driver?.code === '23505') return driver.constraint === 'ux_api_tokens_hash';
  const message = (e as { message?: unknown }).message;
  return typeof message === 'string' && message.includes('api_tokens.token_hash');
}
