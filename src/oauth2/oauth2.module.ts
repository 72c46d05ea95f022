import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module';
import { OAuth2Controller } from './oauth2.controller';

/** The open standards: RFC 7009 revocation and RFC 7662 introspection. */
@Module({ imports: [TokensModule], controllers: [OAuth2Controller] })
export class OAuth2Module {}
