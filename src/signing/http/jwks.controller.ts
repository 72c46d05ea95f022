import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/decorators';
import { RawResponse } from '../../common/http/envelope';
import { JwksDto } from '../jwks.dto';
import { JwtSigner } from '../jwt-signer';

/** RFC 7517 §8.5's media type of a JWK set. */
export const JWKS_MEDIA_TYPE = 'application/jwk-set+json';

@ApiTags('signing keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly signer: JwtSigner) {}

  @Get('jwks.json')
  @Public()
  @RawResponse()
  @Header('Content-Type', JWKS_MEDIA_TYPE)
  // Five minutes: a rotation publishes a key an hour (JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS)
  // before it signs, so a cached set still holds the key of every JWT a verifier meets.
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    operationId: 'getJwks',
    summary: 'The public keys that verify the JWTs this installation signs (RFC 7517 JWK set)',
    description:
      'Public, outside the envelope. Pick the key by the JWT header’s `kid`; ES256 (P-256). A ' +
      'new key is listed before any JWT is signed with it, and a replaced one stays listed ' +
      'for a while after.',
  })
  @ApiProduces(JWKS_MEDIA_TYPE)
  @ApiResponse({ status: 200, type: JwksDto })
  get(): JwksDto {
    return this.signer.jwks();
  }
}
