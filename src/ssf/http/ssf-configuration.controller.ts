import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../auth/decorators';
import { RawResponse } from '../../common/http/envelope';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { PUSH_METHOD } from '../dto/ssf-stream.dto';

export class SsfConfigurationDto {
  @ApiProperty({ example: '1_0' })
  spec_version!: string;
  @ApiProperty({ example: 'https://latchkey.example.com' })
  issuer!: string;
  @ApiProperty({ example: 'https://latchkey.example.com/.well-known/jwks.json' })
  jwks_uri!: string;
  @ApiProperty({ type: [String], example: [PUSH_METHOD] })
  delivery_methods_supported!: string[];
  @ApiProperty({ example: 'https://latchkey.example.com/ssf/v1/streams' })
  configuration_endpoint!: string;
  @ApiProperty({ example: 'https://latchkey.example.com/ssf/v1/streams/status' })
  status_endpoint!: string;
  @ApiProperty({ example: 'https://latchkey.example.com/ssf/v1/streams/verify' })
  verification_endpoint!: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', properties: { spec_urn: { type: 'string' } } },
    example: [{ spec_urn: 'urn:ietf:rfc:6750' }],
  })
  authorization_schemes!: { spec_urn: string }[];
  @ApiProperty({ example: 'ALL', description: 'Every token of the business is a subject' })
  default_subjects!: string;
}

/** The transmitter's metadata (SSF 1.0 §7.1), where a receiver discovers the stream API. */
@ApiTags('shared signals')
@Controller('.well-known')
export class SsfConfigurationController {
  private readonly configuration: SsfConfigurationDto;

  constructor(config: AppConfig) {
    const base = publicBaseUrl(config);
    this.configuration = {
      spec_version: '1_0',
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH_METHOD],
      configuration_endpoint: `${base}/ssf/v1/streams`,
      status_endpoint: `${base}/ssf/v1/streams/status`,
      verification_endpoint: `${base}/ssf/v1/streams/verify`,
      // A Latchkey token with ssf:manage, as a bearer (RFC 6750).
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
    };
  }

  @Get('ssf-configuration')
  @Public()
  @RawResponse()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({
    operationId: 'getSsfConfiguration',
    summary: 'The Shared Signals transmitter metadata (SSF 1.0): where streams are managed',
    description:
      'Public, outside the envelope. SETs are signed with a key of /.well-known/jwks.json.',
  })
  @ApiResponse({ status: 200, type: SsfConfigurationDto })
  get(): SsfConfigurationDto {
    return this.configuration;
  }
}
