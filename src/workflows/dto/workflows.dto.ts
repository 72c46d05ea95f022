import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';
import {
  ExpiresInDaysProperty,
  MaxLength,
  MinLength,
  NoSecret,
  Trim,
} from '../../common/validation/dto-fields';
import {
  BusinessViewDto,
  EmailProperty,
  MachineIdentityViewDto,
  MemberViewDto,
  PlatformAdminViewDto,
} from '../../tenancy/dto/tenancy.dto';
import { Role, ROLES } from '../../auth/roles';
import { DpopJktProperty } from '../../tokens/dto/token-constraint-fields';
import type { FirstTokenAsked } from '../../tokens/lifecycle/issuance/handed-token-issuance.service';
import {
  IssuedTokenDto,
  StatusListReferenceDto,
  TokenViewDto,
} from '../../tokens/dto/token-view.dto';

/** The bodies and answers of the operations that span tenancy and tokens. */

/** What a first token's maker may ask of it: its lifetime, and the key it is bound to. */
class FirstTokenTerms implements FirstTokenAsked {
  @ExpiresInDaysProperty('Lifetime of the first token; default 7')
  expires_in_days?: number;

  @DpopJktProperty(
    "Binds the first token to its holder's key (DPoP); default: a bearer token, unless the " +
      "business's token policy requires a bound one",
  )
  dpop_jkt?: string;
}

export class CreateBusinessDto extends FirstTokenTerms {
  @ApiProperty({ example: 'Acme Corp', minLength: 1, maxLength: 200 })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @NoSecret()
  name!: string;

  @EmailProperty('owner@acme.test')
  owner_email!: string;
}

export class AddMemberDto extends FirstTokenTerms {
  @EmailProperty('dev@acme.test')
  email!: string;

  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES)
  role!: Role;
}

/** `POST /api/v1/members/{identity_id}/token`: the body is optional. */
export class ReissueFirstTokenDto extends FirstTokenTerms {}

/** `POST /api/v1/members/{identity_id}/token`: the new first token, and the old one it replaced. */
export class ReissuedFirstTokenDto extends IssuedTokenDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    example: ['6f1d2c3b-4a59-4e8f-9d7c-1b2a3c4d5e6f'],
    description:
      'The first tokens of the member that this re-issue revoked, in the same transaction ' +
      '(reason "first token re-issued"); empty when they held none still active',
  })
  replaced_token_ids!: string[];
}

export class AddPlatformAdminDto {
  @EmailProperty('ops@latchkey.test')
  email!: string;

  @ExpiresInDaysProperty('Lifetime of the platform token; default: no expiry')
  expires_in_days?: number;
}

export class CreatedBusinessDto {
  @ApiProperty({ type: BusinessViewDto })
  business!: BusinessViewDto;
  @ApiProperty({ type: MemberViewDto })
  owner!: MemberViewDto;
  @ApiProperty({ type: IssuedTokenDto, description: "The owner's first token, shown once" })
  first_token!: IssuedTokenDto;
}

export class AddedMemberDto {
  @ApiProperty({ type: MemberViewDto })
  member!: MemberViewDto;
  @ApiProperty({ type: IssuedTokenDto, description: "The member's first token, shown once" })
  first_token!: IssuedTokenDto;
}

export class AddedPlatformAdminDto {
  @ApiProperty({ type: PlatformAdminViewDto })
  admin!: PlatformAdminViewDto;
  @ApiProperty({ type: IssuedTokenDto, description: 'A platform token for the admin, shown once' })
  first_token!: IssuedTokenDto;
}

export class MeIdentityDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: ['user', 'machine'] })
  kind!: string;
  @ApiProperty({ type: String, nullable: true, example: 'owner@acme.test' })
  email!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  name!: string | null;
  @ApiProperty()
  is_platform_admin!: boolean;
}

export class MeCustomRoleDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'orders-reader' })
  name!: string;
}

export class MeViewDto {
  @ApiProperty({ type: MeIdentityDto })
  identity!: MeIdentityDto;
  @ApiProperty({ type: TokenViewDto })
  token!: TokenViewDto;
  @ApiProperty({ type: BusinessViewDto })
  business!: BusinessViewDto;
  @ApiProperty({
    enum: ROLES,
    nullable: true,
    description: 'The built-in role (a custom role rests on one); null for a platform token',
  })
  role!: Role | null;
  @ApiProperty({
    type: MeCustomRoleDto,
    nullable: true,
    description: "The holder's custom role in the business, which narrows `scopes`; null: none",
  })
  custom_role!: MeCustomRoleDto | null;
  @ApiProperty({
    type: [String],
    nullable: true,
    example: ['orders:read'],
    description:
      "The scopes in force: the token's own, within its holder's custom role (`token.scopes` " +
      'is what the token was made with). Null: everything the role allows',
  })
  scopes!: string[] | null;
  @ApiProperty({
    type: StatusListReferenceDto,
    nullable: true,
    description:
      "Where the token's status is published, for relying parties that check it offline (null: none)",
  })
  status_list!: StatusListReferenceDto | null;
}

/** `DELETE /api/v1/members/{identity_id}`: the member as they were, and what their removal ended. */
export class RemovedMemberViewDto extends MemberViewDto {
  @ApiProperty({
    type: 'integer',
    example: 3,
    description: 'How many of their tokens in this business the removal revoked',
  })
  revoked_tokens!: number;
}

/** `DELETE /api/v1/machine-identities/{identity_id}`: the machine, and what its deletion ended. */
export class RemovedMachineIdentityViewDto extends MachineIdentityViewDto {
  @ApiProperty({
    type: 'integer',
    example: 2,
    description: 'How many of its tokens the deletion revoked',
  })
  revoked_tokens!: number;
}

/** `DELETE /platform/v1/admins/{identity_id}`: the admin as they were, and the tokens it ended. */
export class RemovedPlatformAdminViewDto extends PlatformAdminViewDto {
  @ApiProperty({
    type: 'integer',
    example: 1,
    description: 'How many of their platform tokens the removal revoked',
  })
  revoked_tokens!: number;
}

export class WhoamiIdentityDto extends MeIdentityDto {
  @ApiProperty({
    example: 'owner@acme.test',
    description: "How the audit log names the caller: a user's email, or machine:<name>",
  })
  label!: string;
}

/** A business the token acts in, with the holder's role there. */
export class WhoamiBusinessDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'Acme Corp' })
  name!: string;
  @ApiProperty({ enum: ['active', 'suspended'], example: 'active' })
  status!: 'active' | 'suspended';
  @ApiProperty({ enum: ROLES, example: 'owner' })
  role!: Role;
}

export class WhoamiViewDto {
  @ApiProperty({ type: WhoamiIdentityDto })
  identity!: WhoamiIdentityDto;
  @ApiProperty({ type: TokenViewDto })
  token!: TokenViewDto;
  @ApiProperty({
    example: false,
    description: "A platform admin's platform token (no business), which may act in any business",
  })
  is_platform_token!: boolean;
  @ApiProperty({
    type: [WhoamiBusinessDto],
    description:
      "A business token's one business, with the holder's role there. Empty for a platform " +
      'token, which may act in every business: GET /platform/v1/businesses lists them.',
  })
  businesses!: WhoamiBusinessDto[];
}
