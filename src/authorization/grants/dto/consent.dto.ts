import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { Consent } from '../store/consent.entity';

class ConsentClientDto {
  @ApiProperty({ example: 'https://agent.example/oauth/client.json' })
  client_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Acme Agent' })
  client_name!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'https://agent.example' })
  client_uri!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  logo_uri!: string | null;
  @ApiProperty({
    enum: ['metadata_document', 'registered'],
    description: 'A Client ID Metadata Document, or a client registered through RFC 7591',
  })
  kind!: 'metadata_document' | 'registered';
  @ApiProperty({
    example: false,
    description: 'Always false: the name is what the client says of itself, checked by nobody',
  })
  verified!: false;
}

class ConsentResourceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'https://mcp.example.com/mcp' })
  uri!: string;
  @ApiProperty({ example: 'Notes MCP server' })
  name!: string;
}

class ConsentBusinessDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'Acme' })
  name!: string;
}

class ConsentScopeDto {
  @ApiProperty({ example: 'notes:read' })
  name!: string;
  @ApiProperty({ example: 'Read your notes' })
  description!: string;
}

/** What the consent screen shows a person before they allow or deny. */
export class AuthorizationRequestViewDto {
  @ApiProperty({ type: ConsentClientDto })
  client!: ConsentClientDto;
  @ApiProperty({ type: ConsentResourceDto })
  resource!: ConsentResourceDto;
  @ApiProperty({ type: ConsentBusinessDto })
  business!: ConsentBusinessDto;
  @ApiProperty({ type: [ConsentScopeDto] })
  scopes!: ConsentScopeDto[];
  @ApiProperty({ example: 'http://127.0.0.1:33418/callback' })
  redirect_uri!: string;
  @ApiProperty({
    description: 'The person allowed this client these scopes at this resource before',
  })
  remembered!: boolean;
  @ApiProperty({ format: 'date-time', description: 'The request must be answered before then' })
  expires_at!: string;
}

/** The longest sealed request: every parameter bounded, state at most 1024 characters. */
const HANDLE_MAX = 8192;

const HANDLE_DOC = {
  description: 'The sealed request the authorization endpoint sent the browser with (`request`)',
  example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6ImxhdGNoa2V5LWF1dGhvcml6YXRpb24tcmVxdWVzdCtqd3QifQ.…',
};

export class AuthorizationRequestQueryDto {
  @ApiProperty({ description: HANDLE_DOC.description })
  @IsString()
  @MaxLength(HANDLE_MAX)
  request!: string;
}

/** A body that names a sealed authorization request. */
export class SealedRequestBodyDto {
  @ApiProperty(HANDLE_DOC)
  @IsString()
  @MaxLength(HANDLE_MAX)
  request!: string;
}

export class ConsentDecisionDto extends SealedRequestBodyDto {
  @ApiProperty({ enum: ['allow', 'deny'], example: 'allow' })
  @IsIn(['allow', 'deny'])
  decision!: 'allow' | 'deny';
}

export class ConsentRedirectDto {
  @ApiProperty({
    example: 'http://127.0.0.1:33418/callback?code=…&state=xyz&iss=…',
    description:
      "Where to send the browser: the client's redirect URI with the code (allow) or " +
      'error=access_denied (deny), the state and iss (RFC 9207)',
  })
  redirect_to!: string;
}

/** A connected app: a person's standing consent. */
export class ConnectedAppDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'https://agent.example/oauth/client.json' })
  client_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Acme Agent' })
  client_name!: string | null;
  @ApiProperty({ example: 'https://mcp.example.com/mcp' })
  resource!: string;
  @ApiProperty({ type: [String], example: ['notes:read'] })
  scopes!: string[];
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  static of(c: Consent): ConnectedAppDto {
    return {
      id: c.id,
      client_id: c.clientId,
      client_name: c.clientName,
      resource: c.resource,
      scopes: c.scopes,
      created_at: c.createdAt.toISOString(),
      updated_at: c.updatedAt.toISOString(),
    };
  }
}

export class WithdrawnAppDto extends ConnectedAppDto {
  @ApiProperty({ format: 'date-time' })
  withdrawn_at!: string;
  @ApiProperty({ example: 2, description: 'The tokens the withdrawal revoked' })
  revoked_tokens!: number;
}
