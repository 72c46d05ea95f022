import { Injectable } from '@nestjs/common';
import { decide, enforce, PolicyCaller } from '../auth/token-policy';
import { createdKey, Page, PageQueryDto, paginate } from '../common/pagination';
import { Author } from '../database/domain-event';
import { Transaction, UnitOfWork } from '../database/unit-of-work';
import { IssuedTokenDto } from '../auth/token-view.dto';
import { TenancyTokens } from './tenancy-tokens';
import {
  AddedPlatformAdminDto,
  AddPlatformAdminDto,
  PlatformAdminViewDto,
} from './dto/tenancy.dto';
import { IdentitiesService, identityRef } from './identities.service';
import { Identity } from './identity.entity';
import { IdentitiesRepository } from './identities.repository';
import { PlatformAdminAddedEvent, PlatformAdminRemovedEvent } from './tenancy.events';
import { TenancyError } from './tenancy-error';

/** The people who run the installation. */
@Injectable()
export class PlatformAdminsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly identities: IdentitiesRepository,
    private readonly users: IdentitiesService,
    private readonly tokens: TenancyTokens,
  ) {}

  list(query: PageQueryDto): Promise<Page<PlatformAdminViewDto>> {
    return paginate(
      query,
      (limit, after) => this.identities.listPlatformAdmins(limit, after),
      createdKey,
      PlatformAdminViewDto.of,
    );
  }

  /**
   * Makes a person a platform admin and returns a platform token for them, shown once, to pass
   * on (the token policy's `add_platform_admin`). Its scopes are at most `maker`'s.
   */
  add(
    maker: PolicyCaller,
    author: Author,
    dto: AddPlatformAdminDto,
  ): Promise<AddedPlatformAdminDto> {
    enforce(decide('add_platform_admin', maker, 'admin'));
    return this.uow.run(async (tx) => {
      const identity = await this.users.findOrCreateUser(tx, author, dto.email);
      if (identity.isPlatformAdmin) {
        throw new TenancyError('IDENTITY_EXISTS', 'This person is already a platform admin');
      }
      const { issued, admin } = await this.grant(tx, author, maker, identity, dto.expires_in_days);
      return { admin: PlatformAdminViewDto.of(admin), first_token: issued };
    });
  }

  /** Revokes platform admin rights and every platform token of that person. The last admin stays. */
  async remove(author: Author, identityId: string): Promise<PlatformAdminViewDto> {
    const view = await this.uow.run(async (tx) => {
      await this.identities.lockPlatformAdmins(tx.manager);
      const identity = await this.identities.findByIdAnyBusiness(identityId, tx.manager);
      if (!identity?.isPlatformAdmin)
        throw new TenancyError('IDENTITY_NOT_FOUND', 'Platform admin not found');
      if ((await this.identities.countPlatformAdmins(tx.manager)) <= 1) {
        throw new TenancyError('LAST_PLATFORM_ADMIN', 'The last platform admin cannot be removed');
      }
      await this.identities.setPlatformAdmin(tx.manager, identity.id, false);
      const revoked = await this.tokens.cascadeTargets(tx, null, identity.id);
      await tx.publish(new PlatformAdminRemovedEvent(author, identityRef(identity), revoked));
      return PlatformAdminViewDto.of(identity);
    });
    await this.tokens.finishCascade(author, null, identityId, 'platform admin removed');
    return view;
  }

  /**
   * At first start: when the installation has no platform admin, makes one and returns its
   * platform token. Returns null when an admin exists already.
   */
  bootstrapIfEmpty(author: Author, email: string): Promise<string | null> {
    return this.uow.run(async (tx) => {
      if ((await this.identities.countPlatformAdmins(tx.manager)) > 0) return null;
      const identity = await this.users.findOrCreateUser(tx, author, email);
      const system = { class: 'cli', scopes: null, expiresAt: null } as const;
      return (await this.grant(tx, author, system, identity, undefined, 'bootstrap')).issued.token;
    });
  }

  /** For the CLI: a new platform token for `email`, made a platform admin first if need be. */
  issuePlatformToken(maker: PolicyCaller, author: Author, email: string): Promise<string> {
    enforce(decide('add_platform_admin', maker, 'admin'));
    return this.uow.run(async (tx) => {
      const found = await this.users.findOrCreateUser(tx, author, email);
      const identity = (await this.identities.findForIssue(tx.manager, found.id)) ?? found;
      if (!identity.isPlatformAdmin)
        return (await this.grant(tx, author, maker, identity, undefined, 'cli')).issued.token;
      const issued = await this.tokens.issuePlatformToken(tx, author, maker, {
        identityId: identity.id,
        name: 'cli',
      });
      return issued.token;
    });
  }

  private async grant(
    tx: Transaction,
    author: Author,
    maker: PolicyCaller,
    identity: Identity,
    expiresInDays: number | undefined,
    tokenName = 'first-token',
  ): Promise<{ admin: Identity; issued: IssuedTokenDto }> {
    await this.identities.setPlatformAdmin(tx.manager, identity.id, true);
    await tx.publish(new PlatformAdminAddedEvent(author, identityRef(identity)));
    const issued = await this.tokens.issuePlatformToken(tx, author, maker, {
      identityId: identity.id,
      name: tokenName,
      expiresInDays,
    });
    return { admin: { ...identity, isPlatformAdmin: true }, issued };
  }
}
