import { Module } from '@nestjs/common';
import { TokenLifecycleModule } from './lifecycle/token-lifecycle.module';
import { TokenUsageModule } from './sweeps/token-usage.module';
import { TokenVerificationModule } from './verify/token-verification.module';

/**
 * Tokens, as other features meet them: three modules over a store of their own
 * (docs/architecture.md, "Inside a feature"), each exporting its front door.
 * - `TokenVerificationModule`: the verifier, what a use records, the status lists' references;
 * - `TokenLifecycleModule`: issue, import, read, rename, pause, rotate, revoke;
 * - `TokenUsageModule`: usage read back, and the sweeps.
 *
 * `TokenStoreModule` (tables and policy) stays inside. The token routes are `TokensRoutesModule`'s,
 * so the CLI loads none of them; the app gives auth's guards the `TokenVerifier`
 * (`AuthModule.register`).
 */
@Module({
  imports: [TokenVerificationModule, TokenLifecycleModule, TokenUsageModule],
  exports: [TokenVerificationModule, TokenLifecycleModule, TokenUsageModule],
})
export class TokensModule {}
