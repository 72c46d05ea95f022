import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { SafeIsUUID } from '../../common/validation/dto-fields';
import type { Identity } from '../../tenancy/tenancy-directory';

/** `?id=a&id=b` arrives as an array, `?id=a` as a string: both become a list. */
const toList = ({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value);

/** The most ids one call names: a console page of tokens or events needs far fewer. */
export const NAMES_MAX = 200;

export class IdentityNamesQueryDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: `Repeatable, 1 to ${NAMES_MAX}: \`?id=…&id=…\``,
  })
  @Transform(toList)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(NAMES_MAX)
  @SafeIsUUID({ each: true })
  id!: string[];
}

export class IdentityNameDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: ['user', 'machine'], example: 'user' })
  kind!: Identity['kind'];
  @ApiProperty({ description: "A person's email, or a machine's name", example: 'ada@acme.test' })
  label!: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "A machine's business; null for a person",
  })
  business_id!: string | null;
  @ApiProperty({ description: 'A machine identity that was deleted' })
  deleted!: boolean;

  static of(identity: Identity): IdentityNameDto {
    return {
      id: identity.id,
      kind: identity.kind,
      label: (identity.kind === 'user' ? identity.email : identity.name) ?? '',
      business_id: identity.businessId,
      deleted: identity.deletedAt !== null,
    };
  }
}

export class IdentityNamesDto {
  @ApiProperty({
    type: [IdentityNameDto],
    description: 'The ids that name an identity; others are left out',
  })
  items!: IdentityNameDto[];
}
