import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context';
import { Database } from '../database/connection/read-routing';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { TokenQueriesService } from '../tokens/lifecycle/token-queries.service';
import { IdentityNameDto, IdentityNamesDto } from './dto/identity-names.dto';

/** Holders read at most: 10 pages of the members list. */
export const HOLDERS_READ = 2_000;

/**
 * Who held the business's tokens and is no member now (a removed member, a deleted machine), so
 * that the console names their tokens' holders as the members list no longer does. The business
 * knew them as members, and its audit log names them; nothing else is told.
 */
@Injectable()
export class FormerHoldersService {
  constructor(
    private readonly tokens: TokenQueriesService,
    private readonly directory: TenancyDirectory,
    private readonly database: Database,
  ) {}

  async list(ctx: RequestContext): Promise<IdentityNamesDto> {
    const holders = await this.tokens.holderIdsOf(ctx, HOLDERS_READ);
    const db = this.database.primary;
    const members = await this.directory.membersOf(ctx.businessId, holders, db);
    const former = holders.filter((id) => !members.has(id));
    const found = former.length ? await this.directory.identitiesAnyBusiness(former) : [];
    return { items: found.map((i) => IdentityNameDto.of(i)) };
  }
}
