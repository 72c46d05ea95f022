import { Module } from '@nestjs/common';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { StatusListReferences } from '../status/status-list-references';
import { StatusListsRepository } from '../store/repositories/status-lists.repository';
import { TokenStoreModule } from '../token-store.module';
import { TokenUsageRecorder } from '../usage/token-usage-recorder';
import { UsesMeter } from '../usage/uses/uses-meter';
import { CacheInvalidation } from './cache-invalidation';
import { ImportedKeys } from './imported-keys';
import { LastUsedWriter } from './last-used-writer';
import { RejectedUseRecorder } from './rejected-use-recorder';
import { TokenVerifier } from './token-verifier';
import { VerifierCache } from './verifier-cache';

/**
 * The hot path: a presented token to who holds it, through the verifier cache, with what a use
 * records (last used, uses, rejected uses) and the status lists' references. Nothing here
 * writes a token's lifecycle (lint: verify-apart-from-lifecycle).
 */
@Module({
  imports: [TokenStoreModule, TenancyModule],
  providers: [
    TokenVerifier,
    VerifierCache,
    LastUsedWriter,
    RejectedUseRecorder,
    CacheInvalidation,
    ImportedKeys,
    TokenUsageRecorder,
    UsesMeter,
    StatusListReferences,
    StatusListsRepository,
  ],
  exports: [
    TokenVerifier,
    LastUsedWriter,
    ImportedKeys,
    TokenUsageRecorder,
    UsesMeter,
    StatusListReferences,
    StatusListsRepository,
  ],
})
export class TokenVerificationModule {}
