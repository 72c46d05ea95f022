import { Global, Module } from '@nestjs/common';
import { RevocationBus } from './revocation-bus';

@Global()
@Module({ providers: [RevocationBus], exports: [RevocationBus] })
export class BusModule {}
