import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsNotIn,
  IsOptional,
  IsString,
  Matches,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { BUILT_IN_SCOPES } from '../../auth/scopes';
import { AUDIENCE_LENGTH_MAX, LIMITS } from '../../common/validation/byte-budget';
import {
  MaxBytes,
  MaxLength,
  MinLength,
  NoSecret,
  SingleLine,
  Trim,
} from '../../common/validation/dto-fields';
import { canonicalRegisteredResource } from '../../common/validation/resource-uri';
import { Resource } from '../store/resource.entity';

/** The most scopes one resource declares. */
export const RESOURCE_SCOPES_MAX = 50;
/** The longest scope description, in UTF-8 bytes: a line on a consent screen. */
export const SCOPE_DESCRIPTION_MAX_BYTES = 300;
/** The longest resource name, in characters. */
export const RESOURCE_NAME_MAX = 100;

/**
 * The token scope grammar (`SCOPE_PATTERN`) without its wildcard: a resource declares what it
 * checks, and a token that covers several is the token's business, not the resource's.
 */
const CONCRETE_SCOPE = /^[a-z0-9_.-]+(:[a-z0-9_.-]+)*$/;

const URI_RULE =
  `an absolute https URI (http only on 127.0.0.1, [::1] or localhost), with no fragment and ` +
  `no user information, at most ${AUDIENCE_LENGTH_MAX} bytes`;

/** `uri` as RFC 8707 names a resource; `CanonicalUri` has already put it in its one spelling. */
const IsRegisteredResource = () =>
  ValidateBy({
    name: 'isResourceUri',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && canonicalRegisteredResource(value) === value,
      defaultMessage: () => `uri must be ${URI_RULE}, such as https://mcp.example.com`,
    },
  });

/** A URI that has a canonical spelling becomes it; anything else is left for validation. */
const CanonicalUri = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (canonicalRegisteredResource(value) ?? value) : value,
  );

export class ResourceScopeDto {
  @ApiProperty({
    example: 'orders:read',
    maxLength: LIMITS.scope,
    pattern: CONCRETE_SCOPE.source,
    description:
      "segment(:segment)* of a-z, 0-9, _, . and -, with no wildcard; not one of Latchkey's " +
      'built-in scopes. Unique within the resource',
  })
  @IsString()
  @MaxLength(LIMITS.scope)
  @Matches(CONCRETE_SCOPE, {
    message: 'name must be segment(:segment)* of a-z, 0-9, _, . and -, with no wildcard',
  })
  // A token for this resource must never carry Latchkey's own powers in its name.
  @IsNotIn(Object.keys(BUILT_IN_SCOPES), { message: 'name must not be a Latchkey built-in scope' })
  name!: string;

  @ApiProperty({
    example: 'Read your orders and their status',
    minLength: 1,
    description: `What the scope allows, as a person consenting to it reads it: one line of plain text, at most ${SCOPE_DESCRIPTION_MAX_BYTES} bytes`,
  })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxBytes(SCOPE_DESCRIPTION_MAX_BYTES)
  @SingleLine()
  @NoSecret()
  description!: string;
}

const SCOPES: ApiPropertyOptions = {
  type: [ResourceScopeDto],
  maxItems: RESOURCE_SCOPES_MAX,
  description: `The scopes the resource understands, at most ${RESOURCE_SCOPES_MAX}, each name once`,
};

/** Scope lists are checked alike on create and update. */
const ScopeEntries = () =>
  applyDecorators(
    IsArray(),
    ArrayMaxSize(RESOURCE_SCOPES_MAX),
    ArrayUnique((s: unknown) => (s as { name?: unknown } | null)?.name, {
      message: 'scopes must name each scope once',
    }),
    ValidateNested({ each: true }),
    Type(() => ResourceScopeDto),
  );

const NAME = {
  example: 'Orders MCP server',
  minLength: 1,
  maxLength: RESOURCE_NAME_MAX,
  description: 'What people see it called: one line of plain text',
} as const;

/** The name's checks, alike on create and update. */
const ResourceName = () =>
  applyDecorators(
    Trim(),
    IsString(),
    MinLength(1),
    MaxLength(RESOURCE_NAME_MAX),
    SingleLine(),
    NoSecret(),
  );

export class CreateResourceDto {
  @ApiProperty({
    example: 'https://mcp.example.com/mcp',
    maxLength: AUDIENCE_LENGTH_MAX,
    description:
      `The resource's canonical URI (RFC 8707 §2): ${URI_RULE}. Stored lower-cased in its ` +
      'scheme and host, without a default port or a lone trailing /. Unique in the business; ' +
      'it cannot be changed, as tokens will name it as their audience',
  })
  @CanonicalUri()
  @IsString()
  @IsRegisteredResource()
  @NoSecret()
  uri!: string;

  @ApiProperty(NAME)
  @ResourceName()
  name!: string;

  @ApiProperty(SCOPES)
  @ScopeEntries()
  scopes!: ResourceScopeDto[];
}

/** Every field optional; `uri` is not one of them. */
export class UpdateResourceDto {
  @ApiPropertyOptional(NAME)
  @IsOptional()
  @ResourceName()
  name?: string;

  @ApiPropertyOptional({ ...SCOPES, description: `${SCOPES.description}; it replaces the list` })
  @IsOptional()
  @ScopeEntries()
  scopes?: ResourceScopeDto[];
}

export class ResourceViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'https://mcp.example.com/mcp' })
  uri!: string;
  @ApiProperty({ example: 'Orders MCP server' })
  name!: string;
  @ApiProperty({ type: [ResourceScopeDto] })
  scopes!: ResourceScopeDto[];
  @ApiProperty({ format: 'date-time', example: '2026-03-01T14:00:00.000Z' })
  created_at!: string;
  @ApiProperty({ format: 'date-time', example: '2026-03-01T14:00:00.000Z' })
  updated_at!: string;
  @ApiProperty({ example: 'owner@acme.test', description: 'Who last set it' })
  updated_by!: string;

  static of(r: Resource): ResourceViewDto {
    return {
      id: r.id,
      uri: r.uri,
      name: r.name,
      scopes: r.scopes.map((s) => ({ name: s.name, description: s.description })),
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
      updated_by: r.updatedBy,
    };
  }
}
