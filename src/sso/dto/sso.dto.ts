import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { MaxLength, NoSecret, SafeIsUUID } from '../../common/validation/dto-fields';
import { Role, ROLES } from '../../auth/roles';
import { SsoGroupRole } from '../store/sso-group-role.entity';

/** A group name as providers spell them: 1 to 256 characters, none of them a control character. */
const GROUP = /^[^\p{Cc}]{1,256}$/u;

export class SetGroupRoleDto {
  @ApiProperty({
    example: 'eng-platform',
    description: "The group as the provider's groups claim spells it: 1 to 256 characters",
  })
  @IsString()
  @Matches(GROUP, {
    message: 'group must be 1 to 256 characters, none of them a control character',
  })
  @NoSecret()
  group!: string;

  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES)
  role!: Role;
}

export class GroupRoleViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'eng-platform' })
  group!: string;
  @ApiProperty({ enum: ROLES, example: 'member' })
  role!: Role;
  @ApiProperty({ example: '2026-11-28T09:00:00.000Z' })
  created_at!: string;
  @ApiProperty({ example: 'owner@acme.test' })
  created_by!: string;

  static of(rule: SsoGroupRole): GroupRoleViewDto {
    return {
      id: rule.id,
      group: rule.groupName,
      role: rule.role,
      created_at: rule.createdAt.toISOString(),
      created_by: rule.createdBy,
    };
  }
}

/** Whether console sign-in through the identity provider is on. */
export class SsoStatusDto {
  @ApiProperty({ example: true })
  enabled!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'https://idp.example.com' })
  issuer!: string | null;
}

/** A console path to come back to: `/admin` or below it, nothing that leaves this site. */
const RETURN_TO = /^\/admin(\/[A-Za-z0-9_~-]+)*\/?$/;

export class StartSignInQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The business to sign in to; absent: the one your groups give you a role in',
  })
  @IsOptional()
  @SafeIsUUID()
  business_id?: string;

  @ApiPropertyOptional({
    description: 'A console path to open after sign-in, such as /admin/tokens; default /admin',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(RETURN_TO, { message: 'return_to must be a console path: /admin or below it' })
  return_to?: string;
}

export class HandoffDto {
  @ApiProperty({ description: 'The one-time hand-off the sign-in returned to the console with' })
  @IsString()
  @MaxLength(100)
  handoff!: string;
}

export class CollectSessionDto extends HandoffDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The business chosen, when the sign-in returned with `#choose=`: one of those ' +
      'POST /auth/sso/businesses lists',
  })
  @IsOptional()
  @SafeIsUUID()
  business_id?: string;
}

/** A business a sign-in may choose: one whose group rules name the person's groups. */
export class BusinessChoiceDto {
  @ApiProperty({ format: 'uuid' })
  business_id!: string;
  @ApiProperty({ example: 'Acme' })
  name!: string;
  @ApiProperty({ enum: ROLES, example: 'admin', description: 'The role the groups give there' })
  role!: Role;
  @ApiProperty({
    enum: ['active', 'suspended'],
    example: 'active',
    description: 'A suspended business takes no sign-in (403 SSO_BUSINESS_SUSPENDED)',
  })
  status!: 'active' | 'suspended';
}

export class BusinessChoicesDto {
  @ApiProperty({ type: [BusinessChoiceDto] })
  items!: BusinessChoiceDto[];
}

/** The console's session: an ordinary token (origin console-sso), shown once. */
export class SsoSessionDto {
  @ApiProperty({ description: 'The session token: shown once' })
  token!: string;
  @ApiProperty({ format: 'uuid' })
  business_id!: string;
  @ApiProperty({ format: 'uuid' })
  token_id!: string;
  @ApiProperty({ example: '2026-11-28T17:00:00.000Z' })
  expires_at!: string;
  @ApiProperty({ type: String, nullable: true, example: '/admin/tokens' })
  return_to!: string | null;
}
