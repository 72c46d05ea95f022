import { Controller, type DynamicModule, Get, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LatchkeyOptions, LatchkeyToken } from '../../packages/client/src/nestjs';
import {
  LatchkeyGuard,
  LatchkeyModule,
  LatchkeyPublic,
  RequireScopes,
  VerifiedToken,
} from '../../packages/client/src/nestjs';
import { httpGet, runMiddlewareCases, type StartApp } from './middleware-cases';
import { runSetupCases } from './middleware-setup-cases';

/** The handlers' log of which of them ran. */
const REACHED = Symbol('REACHED');

@Controller()
class EchoController {
  constructor(@Inject(REACHED) private readonly reached: string[]) {}

  @Get('whoami')
  whoami(@VerifiedToken() token: LatchkeyToken | undefined) {
    return this.echo('whoami', token);
  }

  @Get('orders')
  @RequireScopes('orders:read')
  orders(@VerifiedToken() token: LatchkeyToken | undefined) {
    return this.echo('orders', token);
  }

  @Get('open')
  @LatchkeyPublic()
  open(@VerifiedToken() token: LatchkeyToken | undefined) {
    return this.echo('open', token);
  }

  private echo(route: string, token: LatchkeyToken | undefined) {
    this.reached.push(route);
    return { token: token ?? null };
  }
}

/** A controller the app leaves open, with one handler that requires a scope nonetheless. */
@Controller('open-orders')
@LatchkeyPublic()
class OpenController {
  constructor(@Inject(REACHED) private readonly reached: string[]) {}

  @Get()
  @RequireScopes('orders:read')
  orders(@VerifiedToken() token: LatchkeyToken | undefined) {
    this.reached.push('open-orders');
    return { token: token ?? null };
  }
}

@Module({})
class EchoAppModule {
  static with(options: LatchkeyOptions, reached: string[]): DynamicModule {
    return {
      module: EchoAppModule,
      imports: [LatchkeyModule.forRoot(options)],
      controllers: [EchoController, OpenController],
      providers: [{ provide: REACHED, useValue: reached }],
    };
  }
}

/**
 * A NestJS 11 app on Fastify, listening on 127.0.0.1, guarded by `LatchkeyModule.forRoot` (its
 * global guard), whose handlers answer `@VerifiedToken()`.
 */
const startNestApp: StartApp = async (options, reached) => {
  const app = await NestFactory.create<NestFastifyApplication>(
    EchoAppModule.with(options, reached),
    new FastifyAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  const origin = await app.getUrl();
  return {
    get: (path, headers) => httpGet(origin, path, headers),
    check: () => app.get(LatchkeyGuard).check(),
    close: () => app.close(),
  };
};

describe('@latchkey/client/nestjs in a NestJS 11 app on Fastify', () => {
  runMiddlewareCases(startNestApp);
  describe('set up against a Latchkey that requires a gateway secret', () => {
    runSetupCases(startNestApp);
  });
});
