import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../../auth/decorators';
import { DPOP_ALGS } from '../../../auth/dpop/dpop-proof';
import { ApiErrors, RawResponse } from '../../../common/http/envelope';
import { uuidPipe } from '../../../common/validation/validation.pipe';
import { AppConfig } from '../../../config/app-config';
import { publicBaseUrl } from '../../../config/sections/features/status-list-config';
import { TenancyDirectory } from '../../../tenancy/tenancy-directory';
import { TenancyError } from '../../../tenancy/tenancy-error';
import { ISSUER_PATH, issuerOf } from '../../issuer';

export class AuthorizationServerMetadataDto {
  @ApiProperty({ example: 'https://latchkey.example.com/oauth2/businesses/7d3f0c2e-…' })
  issuer!: string;
  @ApiProperty()
  authorization_endpoint!: string;
  @ApiProperty()
  token_endpoint!: string;
  @ApiProperty()
  registration_endpoint!: string;
  @ApiProperty()
  revocation_endpoint!: string;
  @ApiProperty()
  introspection_endpoint!: string;
  @ApiProperty()
  jwks_uri!: string;
  @ApiProperty({ type: [String], example: ['code'] })
  response_types_supported!: string[];
  @ApiProperty({ type: [String], example: ['query'] })
  response_modes_supported!: string[];
  @ApiProperty({ type: [String], example: ['authorization_code', 'refresh_token'] })
  grant_types_supported!: string[];
  @ApiProperty({ type: [String], example: ['S256'] })
  code_challenge_methods_supported!: string[];
  @ApiProperty({ type: [String], example: ['none'] })
  token_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String], example: ['none'] })
  revocation_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String], example: ['ES256', 'EdDSA'] })
  dpop_signing_alg_values_supported!: string[];
  @ApiProperty({ example: true })
  authorization_response_iss_parameter_supported!: boolean;
  @ApiProperty({ example: true })
  client_id_metadata_document_supported!: boolean;
  @ApiProperty()
  service_documentation!: string;
}

/**
 * Each business's authorization server metadata (RFC 8414), where §3.1 puts it for an issuer
 * with a path: the well-known segment first, then the issuer's path. What an MCP client reads
 * once a resource's metadata has named the business's issuer.
 */
@ApiTags('oauth2')
@Controller(`.well-known/oauth-authorization-server/${ISSUER_PATH}`)
export class AuthorizationServerMetadataController {
  constructor(
    private readonly tenancy: TenancyDirectory,
    private readonly config: AppConfig,
  ) {}

  @Get(':business_id')
  @Public()
  @RawResponse()
  @Header('Cache-Control', 'public, max-age=300')
  @Header('Access-Control-Allow-Origin', '*')
  @ApiOperation({
    operationId: 'getAuthorizationServerMetadata',
    summary: "A business's authorization server metadata (RFC 8414), for its connected apps",
    description: 'Public, outside the envelope. An unknown or suspended business is 404.',
  })
  @ApiResponse({ status: 200, type: AuthorizationServerMetadataDto })
  @ApiErrors({ 404: ['BUSINESS_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  async get(
    @Param('business_id', uuidPipe('business_id')) businessId: string,
  ): Promise<AuthorizationServerMetadataDto> {
    const business = await this.tenancy.findBusiness(businessId);
    if (!business || business.status !== 'active') throw new TenancyError('BUSINESS_NOT_FOUND');
    const base = publicBaseUrl(this.config);
    const issuer = issuerOf(this.config, businessId);
    return {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${base}/oauth2/register`,
      revocation_endpoint: `${base}/oauth2/revoke`,
      introspection_endpoint: `${base}/oauth2/introspect`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      dpop_signing_alg_values_supported: [...DPOP_ALGS],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      service_documentation: `${base}/docs`,
    };
  }
}
