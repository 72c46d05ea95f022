import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';
import { MaxLength, MinLength } from '../../common/validation/dto-fields';
import { EmailProperty } from '../../tenancy/dto/tenancy.dto';
import { Role, ROLES } from '../../auth/roles';
import { Invitation } from '../store/invitation.entity';

/** The bound of an address in SMTP (RFC 5321's path of 256 octets, less its brackets). */
const EMAIL_MAX_BYTES = 254;

const AtMostBytes = (max: number) =>
  ValidateBy({
    name: 'maxBytes',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && Buffer.byteLength(v, 'utf8') <= max,
      defaultMessage: () => `email must be at most ${max} bytes in UTF-8`,
    },
  });

export class CreateInvitationDto {
  @EmailProperty('dev@acme.test')
  @AtMostBytes(EMAIL_MAX_BYTES)
  email!: string;

  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 168,
    default: 72,
    example: 72,
    description: 'How long the link works, in hours; a resend gives the new link as long',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(168)
  expires_in_hours?: number;
}

export class AcceptInvitationDto {
  @ApiProperty({
    description: "The link's `token`, as the invitation email carried it",
    example: 'inv_Zx8dQ2m9vT4sLr7pKc1wNf3yHb6aGe5u0jXoVi2EqW',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token!: string;
}

/** What an invitation's link opens to: who invites the holder, where, at which role. */
export class InvitationPreviewDto {
  @ApiProperty({ example: 'Acme' })
  business_name!: string;
  @ApiProperty({
    example: 'owner@acme.test',
    description: "The inviter's email, or machine:<name>",
  })
  invited_by!: string;
  @ApiProperty({ example: 'dev@acme.test', description: 'The address the invitation was sent to' })
  email!: string;
  @ApiProperty({ enum: ROLES, example: 'member' })
  role!: Role;
  @ApiProperty({ format: 'date-time' })
  expires_at!: string;
}

const STATUSES = ['pending', 'send_failed', 'expired', 'accepted', 'revoked'] as const;

export class InvitationViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'dev@acme.test' })
  email!: string;
  @ApiProperty({ enum: ROLES, example: 'member' })
  role!: Role;
  @ApiProperty({
    enum: STATUSES,
    example: 'pending',
    description:
      '`send_failed`: the mail server did not take the last link (resend it); `expired` is ' +
      'derived from `expires_at`',
  })
  status!: (typeof STATUSES)[number];
  @ApiProperty({ format: 'date-time' })
  expires_at!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({
    example: 'owner@acme.test',
    description: "The inviter's email, or machine:<name>",
  })
  invited_by!: string;

  static of(i: Invitation, now = new Date()): InvitationViewDto {
    const open = i.status === 'pending' || i.status === 'send_failed';
    return {
      id: i.id,
      email: i.email,
      role: i.role,
      status: open && i.expiresAt.getTime() <= now.getTime() ? 'expired' : i.status,
      expires_at: i.expiresAt.toISOString(),
      created_at: i.createdAt.toISOString(),
      invited_by: i.invitedBy,
    };
  }
}
