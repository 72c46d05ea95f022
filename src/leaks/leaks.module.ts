import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module';
import { LeaksController } from './http/leaks.controller';
import { LeaksService } from './leaks.service';

/** Leak reports from secret scanners (GitHub's partner program), which revoke what they name. */
@Module({ imports: [TokensModule], controllers: [LeaksController], providers: [LeaksService] })
export class LeaksModule {}
