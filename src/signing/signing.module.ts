import { Module } from '@nestjs/common';
import { JwtDerivedKeys } from './jwt-derived-keys';
import { JwtSigner } from './jwt-signer';

/**
 * The installation's JWT signing keys: `JwtSigner`, for the features that publish a signed JWT
 * (token status lists) to import, and the keys auth derives from them (`JwtDerivedKeys`: DPoP
 * nonces). No routes: every process may load it, the CLI included, and `SigningRoutesModule`
 * serves the JWKS in the HTTP app alone.
 */
@Module({ providers: [JwtSigner, JwtDerivedKeys], exports: [JwtSigner, JwtDerivedKeys] })
export class SigningModule {}
