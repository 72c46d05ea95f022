import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotIn, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { ROLES } from '../../auth/roles';
import { ScopeList } from '../../auth/scope-list';
import { LIMITS } from '../../common/validation/byte-budget';
import { MaxLength, NoSecret, SafeIsUUID } from '../../common/validation/dto-fields';
import { BASE_ROLES, BaseRole, CustomRole } from '../store/custom-role.entity';

const SCOPES = {
  type: 'array',
  items: { type: 'string', maxLength: LIMITS.scope },
  maxItems: LIMITS.scopes,
  uniqueItems: true,
  example: ['tokens:admin', 'deploy:*'],
  description:
    'What every token of its holders may do in the business, within the base role and within ' +
    'the calling token; [] allows only managing their own tokens',
} as const;

export class CreateCustomRoleDto {
  @ApiProperty({
    example: 'deployer',
    description: `1 to 40 of a-z, 0-9, _ and -; not a built-in role's name (${ROLES.join(', ')})`,
  })
  @IsString()
  @Matches(/^[a-z0-9_-]{1,40}$/, { message: 'name must be 1 to 40 of a-z, 0-9, _ and -' })
  // A custom role named `owner` would read as the built-in one in every list that shows it.
  @IsNotIn(ROLES, { message: `name must not be a built-in role's (${ROLES.join(', ')})` })
  name!: string;

  @ApiProperty({ enum: BASE_ROLES, example: 'member' })
  @IsIn(BASE_ROLES)
  base_role!: BaseRole;

  @ApiProperty(SCOPES)
  @ScopeList()
  scopes!: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 300 })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  @NoSecret()
  description?: string | null;
}

export class UpdateCustomRoleDto {
  @ApiPropertyOptional(SCOPES)
  @IsOptional()
  @ScopeList()
  scopes?: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 300 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(300)
  @NoSecret()
  description?: string | null;
}

export class AssignCustomRoleDto {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The custom role to give; null takes it back (the base role alone)',
  })
  @ValidateIf((_o, v) => v !== null)
  @SafeIsUUID()
  custom_role_id!: string | null;
}

export class CustomRoleViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'deployer' })
  name!: string;
  @ApiProperty({ enum: BASE_ROLES, example: 'member' })
  base_role!: BaseRole;
  @ApiProperty({ type: [String], example: ['deploy:*'] })
  scopes!: string[];
  @ApiProperty({ type: String, nullable: true, example: null })
  description!: string | null;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
  @ApiProperty({ example: 'owner@acme.test' })
  updated_by!: string;

  static of(role: CustomRole): CustomRoleViewDto {
    return {
      id: role.id,
      name: role.name,
      base_role: role.baseRole,
      scopes: [...role.scopes],
      description: role.description,
      created_at: role.createdAt.toISOString(),
      updated_at: role.updatedAt.toISOString(),
      updated_by: role.updatedBy,
    };
  }
}

export class CustomRoleAssignmentDto {
  @ApiProperty({ format: 'uuid' })
  identity_id!: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'], example: 'member' })
  role!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  custom_role_id!: string | null;
}
