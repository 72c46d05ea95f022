import { Module } from '@nestjs/common';
import { JwtSigner } from './jwt-signer';

/**
 * The installation's JWT signing keys: `JwtSigner`, for the features that publish a signed JWT
 * (token status lists) to import. No routes: every process may load it, the CLI included, and
 * `SigningRoutesModule` serves the JWKS in the HTTP app alone.
 */
@Module({ providers: [JwtSigner], exports: [JwtSigner] })
export class SigningModule {}
