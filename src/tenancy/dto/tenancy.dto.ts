import { LIMITS } from '../../common/byte-budget';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, Matches } from 'class-validator';
import {
  ExpiresInDaysProperty,
  MaxLength,
  MinLength,
  NoSecret,
  SafeIsEmail,
  Trim,
} from '../../common/dto-fields';
import { IssuedTokenDto, TokenViewDto } from '../../auth/token-view.dto';
import { Business } from '../business.entity';
import { Identity } from '../identity.entity';
import { Membership, Role, ROLES } from '../membership.entity';

const normalizeEmail = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

/** Emails are compared lowercased. TLD-less addresses are allowed, like the bootstrap default. */
const EmailProperty = (example: string) =>
  applyDecorators(
    ApiProperty({ example, maxLength: LIMITS.email }),
    Transform(normalizeEmail),
    IsString(),
    MaxLength(LIMITS.email),
    SafeIsEmail({ require_tld: false }),
  );

class FirstTokenLifetime {
  @ExpiresInDaysProperty('Lifetime of the first token; default 7')
  expires_in_days?: number;
}

export class CreateBusinessDto extends FirstTokenLifetime {
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

export class AddMemberDto extends FirstTokenLifetime {
  @EmailProperty('dev@acme.test')
  email!: string;

  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES)
  role!: Role;
}

/** `POST /api/v1/members/{identity_id}/token`: the body is optional. */
export class ReissueFirstTokenDto extends FirstTokenLifetime {}

export class ChangeRoleDto {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES)
  role!: Role;
}

export class CreateMachineIdentityDto {
  @ApiProperty({
    example: 'ci-runner',
    description: 'Lowercase letters, digits, dot, dash and underscore; unique in the business',
  })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[a-z0-9][a-z0-9._-]*$/, {
    message: 'name must be lowercase letters, digits, dot, dash or underscore',
  })
  name!: string;

  @ApiProperty({ enum: ['admin', 'member'], example: 'member' })
  @IsIn(ROLES)
  role!: Role;
}

export class AddPlatformAdminDto {
  @EmailProperty('ops@latchkey.test')
  email!: string;

  @ExpiresInDaysProperty('Lifetime of the platform token; default: no expiry')
  expires_in_days?: number;
}

const iso = (d: Date) => d.toISOString();

export class BusinessViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'Acme Corp' })
  name!: string;
  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  static of(b: Business): BusinessViewDto {
    return { id: b.id, name: b.name, status: b.status, created_at: iso(b.createdAt) };
  }
}

export class MemberViewDto {
  @ApiProperty({ format: 'uuid' })
  identity_id!: string;
  @ApiProperty({ enum: ['user', 'machine'] })
  kind!: string;
  @ApiProperty({ type: String, nullable: true, example: 'dev@acme.test' })
  email!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  name!: string | null;
  @ApiProperty({ enum: ROLES })
  role!: Role;
  @ApiProperty({ format: 'date-time' })
  joined_at!: string;

  static of(identity: Identity, membership: Membership): MemberViewDto {
    return {
      identity_id: identity.id,
      kind: identity.kind,
      email: identity.email,
      name: identity.name,
      role: membership.role,
      joined_at: iso(membership.createdAt),
    };
  }
}

export class MachineIdentityViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'ci-runner' })
  name!: string;
  @ApiProperty({ enum: ['admin', 'member'], nullable: true })
  role!: Role | null;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  static of(identity: Identity, role: Role | null): MachineIdentityViewDto {
    return {
      id: identity.id,
      name: identity.name ?? '',
      role,
      created_at: iso(identity.createdAt),
    };
  }
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

export class PlatformAdminViewDto {
  @ApiProperty({ format: 'uuid' })
  identity_id!: string;
  @ApiProperty({ example: 'ops@latchkey.test' })
  email!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  static of(identity: Identity): PlatformAdminViewDto {
    return {
      identity_id: identity.id,
      email: identity.email ?? '',
      created_at: iso(identity.createdAt),
    };
  }
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

export class MeViewDto {
  @ApiProperty({ type: MeIdentityDto })
  identity!: MeIdentityDto;
  @ApiProperty({ type: TokenViewDto })
  token!: TokenViewDto;
  @ApiProperty({ type: BusinessViewDto })
  business!: BusinessViewDto;
  @ApiProperty({ enum: ROLES, nullable: true, description: 'Null for a platform token' })
  role!: Role | null;
}
