import { LIMITS } from '../../common/validation/byte-budget';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, Matches } from 'class-validator';
import {
  MaxLength,
  MinLength,
  NoSecret,
  SafeIsEmail,
  Trim,
} from '../../common/validation/dto-fields';
import { containsSecret } from '../../common/secrets/secret-shape';
import { Business } from '../store/business.entity';
import { Identity } from '../store/identity.entity';
import { Membership } from '../store/membership.entity';
import { Role, ROLES } from '../../auth/roles';

/**
 * Lowercased, unless it holds a token: lowercasing would hide the token from `NoSecret` and not
 * from anyone who reads it, since its checksum tells which of its millions of casings is the
 * secret in a second's work. So it reaches the validator as it was sent, and is refused.
 */
const normalizeEmail = ({ value }: { value: unknown }) =>
  typeof value === 'string' && !containsSecret(value) ? value.trim().toLowerCase() : value;

/** An email field: compared lowercased. TLD-less addresses are allowed, like the bootstrap default. */
export const EmailProperty = (example: string) =>
  applyDecorators(
    ApiProperty({ example, maxLength: LIMITS.email }),
    Transform(normalizeEmail),
    IsString(),
    MaxLength(LIMITS.email),
    SafeIsEmail({ require_tld: false }),
    NoSecret(),
  );

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
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The custom role the member holds (GET /api/v1/custom-roles); null: none',
  })
  custom_role_id!: string | null;

  static of(identity: Identity, membership: Membership): MemberViewDto {
    return {
      identity_id: identity.id,
      kind: identity.kind,
      email: identity.email,
      name: identity.name,
      role: membership.role,
      joined_at: iso(membership.createdAt),
      custom_role_id: membership.customRoleId ?? null,
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
