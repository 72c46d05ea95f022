import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/decorators';
import { DPOP_ALGS } from '../../auth/dpop/dpop-proof';
import { BUILT_IN_SCOPES } from '../../auth/scopes';
import { RawResponse } from '../../common/http/envelope';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';

export class ProtectedResourceMetadataDto {
  @ApiProperty({
    example: 'https://latchkey.example.com',
    description:
      "The API's resource identifier: a token with audiences is taken here only when it is among them",
  })
  resource!: string;
  @ApiProperty({ example: 'Latchkey' })
  resource_name!: string;
  @ApiProperty({ example: 'https://latchkey.example.com/docs' })
  resource_documentation!: string;
  @ApiProperty({ type: [String], example: ['header'] })
  bearer_methods_supported!: string[];
  @ApiProperty({ type: [String], example: ['tokens:admin', 'audit:read'] })
  scopes_supported!: string[];
  @ApiProperty({ type: [String], example: ['ES256', 'EdDSA'] })
  dpop_signing_alg_values_supported!: string[];
  @ApiProperty({
    example: false,
    description: 'Whether every token must be DPoP-bound: false, as a business policy decides it',
  })
  dpop_bound_access_tokens_required!: boolean;
}

/**
 * The API described as an OAuth protected resource (RFC 9728 §3), so a client learns which
 * resource URI to ask a token's audiences for, and that it takes DPoP proofs of which algorithms.
 * It names no authorization server: Latchkey issues its own tokens, and publishes no RFC 8414
 * metadata that one entry could point to.
 */
@ApiTags('oauth2')
@Controller('.well-known')
export class ProtectedResourceController {
  private readonly metadata: ProtectedResourceMetadataDto;

  constructor(config: AppConfig) {
    const base = publicBaseUrl(config);
    this.metadata = {
      resource: base,
      resource_name: 'Latchkey',
      resource_documentation: `${base}/docs`,
      // RFC 6750 §2.1 alone: a token is never read from a form body or a query string.
      bearer_methods_supported: ['header'],
      scopes_supported: Object.keys(BUILT_IN_SCOPES),
      dpop_signing_alg_values_supported: [...DPOP_ALGS],
      dpop_bound_access_tokens_required: false,
    };
  }

  @Get('oauth-protected-resource')
  @Public()
  @RawResponse()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({
    operationId: 'getProtectedResourceMetadata',
    summary:
      'The API as an OAuth protected resource (RFC 9728): its resource URI and DPoP algorithms',
    description: 'Public, outside the envelope.',
  })
  @ApiResponse({ status: 200, type: ProtectedResourceMetadataDto })
  get(): ProtectedResourceMetadataDto {
    return this.metadata;
  }
}
