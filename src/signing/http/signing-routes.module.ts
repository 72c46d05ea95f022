import { Module } from '@nestjs/common';
import { JwksController } from './jwks.controller';
import { SigningModule } from '../signing.module';

/** GET /.well-known/jwks.json: the HTTP app's, apart from the signer that every process loads. */
@Module({ imports: [SigningModule], controllers: [JwksController] })
export class SigningRoutesModule {}
