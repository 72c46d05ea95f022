import { ApiProperty } from '@nestjs/swagger';
import type { PublicJwk } from './jwt-key-set';

/** One public key of the JWKS (RFC 7517 §4, RFC 7518 §6.2.1): never its private part. */
export class PublicJwkDto implements PublicJwk {
  @ApiProperty({ enum: ['EC'], example: 'EC' })
  kty!: 'EC';
  @ApiProperty({ enum: ['P-256'], example: 'P-256' })
  crv!: 'P-256';
  @ApiProperty({
    example: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
    description: 'The x coordinate, base64url',
  })
  x!: string;
  @ApiProperty({
    example: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    description: 'The y coordinate, base64url',
  })
  y!: string;
  @ApiProperty({
    example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    description: "The key's RFC 7638 thumbprint, as the `kid` of the JWTs it signs names it",
  })
  kid!: string;
  @ApiProperty({ enum: ['ES256'], example: 'ES256' })
  alg!: 'ES256';
  @ApiProperty({ enum: ['sig'], example: 'sig' })
  use!: 'sig';
}

export class JwksDto {
  @ApiProperty({
    type: [PublicJwkDto],
    description:
      'The key that signs now, any published ahead of signing, and those replaced recently ' +
      '(JWT_SIGNING_KEY_RETIRED_LISTED_HOURS)',
  })
  keys!: PublicJwkDto[];
}
