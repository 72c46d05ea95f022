import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuthError } from '../../auth/auth-error';
import type { RequestContext } from '../../auth/request-context';
import { reachesAdminScope, scopesWithin } from '../../auth/scopes';
import { RequestValidationError, ValidationIssue } from '../../common/errors/domain-error';
import { Page, PageQueryDto, createdKey, paginate } from '../../common/validation/pagination';
import { validationError } from '../../common/validation/validation.pipe';
import { Database } from '../../database/connection/read-routing';
import type { Reader } from '../../database/units/reader';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { TenancyError } from '../../tenancy/tenancy-error';
import { TokenError } from '../../tokens/token-error';
import { resolveTarget, TargetRefused, UNRESOLVED, urlProblem } from '../../common/address-guard';
import { CreateTrustRuleDto, TrustRuleViewDto } from '../dto/trust-rule.dto';
import { FederationError, MAX_TRUST_RULES_PER_IDENTITY } from '../federation-error';
import { TrustRuleCreatedEvent, TrustRuleDeletedEvent, TrustRuleRef } from '../federation.events';
import { JwksKeys } from '../exchange/jwks-keys';
import { claimsIssues, jwksIssues } from './trust-rule-checks';
import { TRUST_RULE_POLICY, TrustRuleAction } from './trust-rule-policy';
import { TrustRule } from '../store/trust-rule.entity';
import { TrustRulesRepository } from '../store/trust-rules.repository';

const DEFAULT_TTL_SECONDS = 900;

/** A machine identity's trust rules: made, listed and deleted by whoever manages its tokens. */
@Injectable()
export class TrustRulesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly rules: TrustRulesRepository,
    private readonly tenancy: TenancyDirectory,
    private readonly keys: JwksKeys,
    private readonly database: Database,
  ) {}

  /** The machine's rules, oldest first. */
  async list(
    ctx: RequestContext,
    identityId: string,
    query: PageQueryDto,
  ): Promise<Page<TrustRuleViewDto>> {
    this.gate(ctx, 'list');
    await this.machine(ctx, identityId, this.database.primary);
    return paginate(
      query,
      (limit, after) =>
        this.rules.list(ctx.businessId, identityId, limit, after, this.database.primary),
      createdKey,
      TrustRuleViewDto.of,
    );
  }

  async create(
    ctx: RequestContext,
    identityId: string,
    dto: CreateTrustRuleDto,
  ): Promise<TrustRuleViewDto> {
    this.gate(ctx, 'create');
    await this.checkBody(dto);
    return this.uow.run(async (tx) => {
      const role = await this.machine(ctx, identityId, tx);
      // The rule mints tokens on the caller's authority: never beyond what the caller may grant.
      if (!scopesWithin(dto.scopes, ctx.token.scopes)) throw new TokenError('SCOPE_ESCALATION');
      if (role !== 'admin' && reachesAdminScope(dto.scopes)) {
        throw new RequestValidationError([
          {
            loc: ['body', 'scopes'],
            msg: 'a member machine identity may hold no admin scope',
            type: 'value_error',
          },
        ]);
      }
      const count = await this.rules.countOfIdentity(ctx.businessId, identityId, tx);
      if (count >= MAX_TRUST_RULES_PER_IDENTITY) {
        throw new FederationError('TRUST_RULE_LIMIT_REACHED');
      }
      const author = ctx.author;
      const rule = Object.assign(new TrustRule(), {
        id: randomUUID(),
        businessId: ctx.businessId,
        identityId,
        issuer: dto.issuer,
        jwks: dto.jwks ?? null,
        jwksUri: dto.jwks_uri ?? null,
        audience: dto.audience,
        subject: dto.subject,
        claims: dto.claims && Object.keys(dto.claims).length > 0 ? dto.claims : null,
        scopes: dto.scopes,
        maxTtlSeconds: dto.max_ttl_seconds ?? DEFAULT_TTL_SECONDS,
        requireDpop: dto.require_dpop ?? false,
        createdAt: new Date(),
        createdBy: author.actor.label,
        createdById: author.actor.id,
      } satisfies TrustRule);
      await this.rules.insert(rule, tx);
      await tx.publish(new TrustRuleCreatedEvent(author, ruleRef(rule)));
      return TrustRuleViewDto.of(rule);
    });
  }

  async delete(ctx: RequestContext, identityId: string, ruleId: string): Promise<TrustRuleViewDto> {
    this.gate(ctx, 'delete');
    return this.uow.run(async (tx) => {
      await this.machine(ctx, identityId, tx);
      const rule = await this.rules.find(ctx.businessId, identityId, ruleId, tx);
      if (!rule) throw new FederationError('TRUST_RULE_NOT_FOUND');
      await this.rules.delete(ctx.businessId, identityId, rule.id, tx);
      await tx.publish(new TrustRuleDeletedEvent(ctx.author, ruleRef(rule)));
      return TrustRuleViewDto.of(rule);
    });
  }

  /** The table's refusal of a token the exchange made (role, scope and retiring: the guards). */
  private gate(ctx: RequestContext, action: TrustRuleAction): void {
    if (TRUST_RULE_POLICY[action].closedToFederated && ctx.token.origin === 'federation') {
      throw AuthError.forbidden('TOKEN_FEDERATED');
    }
  }

  /** The machine identity's role in the business; anything else is 404. */
  private async machine(ctx: RequestContext, identityId: string, db: Reader) {
    const machine = await this.tenancy.findMachine(ctx.businessId, identityId, db);
    const member = machine
      ? (await this.tenancy.membersOf(ctx.businessId, [identityId], db)).get(identityId)
      : undefined;
    if (!member) throw new TenancyError('IDENTITY_NOT_FOUND');
    return member.role;
  }

  /** 422 for each field that may not be stored, before anything is read. */
  private async checkBody(dto: CreateTrustRuleDto): Promise<void> {
    const issues: ValidationIssue[] = [];
    const at = (field: string, msg: string) =>
      issues.push({ loc: ['body', field], msg, type: 'value_error' });
    const issuerProblem = urlProblem(dto.issuer, { allowHttp: false, allowPrivate: true });
    if (issuerProblem) at('issuer', issuerProblem.replace('the URL', 'the issuer'));
    if ((dto.jwks === undefined) === (dto.jwks_uri === undefined)) {
      at('jwks', 'give jwks or jwks_uri, one of them');
    } else if (dto.jwks !== undefined) {
      issues.push(...jwksIssues(dto.jwks));
    } else {
      const problem = await this.uriProblem(dto.jwks_uri!);
      if (problem) at('jwks_uri', problem.replace('the URL', 'the jwks_uri'));
    }
    if (dto.claims) issues.push(...claimsIssues(dto.claims));
    if (issues.length > 0) throw validationError(issues);
  }

  /**
   * A `jwks_uri` as a webhook URL is judged: as text, then by the addresses its host resolves to
   * now. A host that does not resolve yet is taken; each fetch judges the address it connects to.
   */
  private async uriProblem(uri: string): Promise<string | null> {
    const policy = this.keys.targetPolicy;
    const problem = urlProblem(uri, policy);
    if (problem || policy.allowPrivate) return problem;
    try {
      await resolveTarget(uri, policy);
      return null;
    } catch (e) {
      if (!(e instanceof TargetRefused)) throw e;
      return e.message === UNRESOLVED ? null : e.message;
    }
  }
}

/** The rule as its events name it: where its keys come from, never the keys. */
export function ruleRef(rule: TrustRule): TrustRuleRef {
  return {
    id: rule.id,
    businessId: rule.businessId,
    identityId: rule.identityId,
    issuer: rule.issuer,
    audience: rule.audience,
    subject: rule.subject,
    jwksUri: rule.jwksUri,
    claims: rule.claims,
    scopes: rule.scopes,
    maxTtlSeconds: rule.maxTtlSeconds,
    requireDpop: rule.requireDpop,
  };
}
