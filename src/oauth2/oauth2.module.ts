import { Module } from '@nestjs/common';
import { GrantsModule } from '../authorization/grants/grants.module';
import { TokensModule } from '../tokens/tokens.module';
import { OAuth2Controller } from './http/oauth2.controller';
import { ProtectedResourceController } from './http/protected-resource.controller';

/**
 * The open standards: RFC 7009 revocation (of tokens, and of the authorization server's refresh
 * tokens), RFC 7662 introspection, and the API's RFC 9728 protected resource metadata.
 */
@Module({
  imports: [TokensModule, GrantsModule],
  controllers: [OAuth2Controller, ProtectedResourceController],
})
export class OAuth2Module {}
