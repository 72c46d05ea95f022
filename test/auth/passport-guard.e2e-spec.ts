import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import passport from 'passport';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { PassportBearerGuard } from '../../src/auth/guards/bearer.guard';
import { Ctx, Public } from '../../src/auth/decorators';
import { RequestContext } from '../../src/auth/request-context';
import { loadConfig } from '../../src/config/load-config';
import { ThrottleModule } from '../../src/throttle/throttle.module';
import { mintSecret } from '../../src/tokens/token-secret';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/** A route of a user's own, behind passport's `AuthGuard('bearer')` as docs/architecture.md offers it. */
@Controller('probe')
class ProbeController {
  @Get()
  @Public()
  @UseGuards(PassportBearerGuard)
  get(@Ctx() ctx: RequestContext) {
    return { identity_id: ctx.actor.id, token_id: ctx.token.id };
  }
}

@Module({ imports: [ThrottleModule], controllers: [ProbeController] })
class ProbeModule {}

describe.each(DRIVERS)('passport on a route of your own, on %s', (driver) => {
  let t: TestApp;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // The usual app migrates the database and makes the platform admin; a second app on the same
    // database then mounts the probe beside every module of Latchkey's.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    const config = loadConfig({ LOG_LEVEL: 'silent', ...t.db.env });
    @Module({ imports: [AppModule.forRoot(config), ProbeModule] })
    class WithProbe {}
    app = await NestFactory.create<NestFastifyApplication>(WithProbe, new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('admits a valid bearer through passport, with the caller in the request context', async () => {
    const authenticate = jest.spyOn(passport, 'authenticate');
    try {
      const res = await request(app.getHttpServer())
        .get('/probe')
        .set('Authorization', `Bearer ${t.platformToken}`)
        .expect(200);
      expect(authenticate).toHaveBeenCalledTimes(1);
      expect(res.body).toEqual({
        identity_id: expect.any(String),
        token_id: expect.any(String),
      });
    } finally {
      authenticate.mockRestore();
    }
  });

  it.each([
    { title: 'no Authorization header', header: null, query: false },
    { title: 'an unknown token', header: `Bearer ${mintSecret('lk').secret}`, query: false },
    { title: 'a valid token in the query string only', header: null, query: true },
  ])('answers 401 INVALID_TOKEN for $title', async ({ header, query }) => {
    const path = query ? `/probe?access_token=${encodeURIComponent(t.platformToken)}` : '/probe';
    const call = request(app.getHttpServer()).get(path);
    const res = await (header ? call.set('Authorization', header) : call).expect(401);
    expect(JSON.stringify(res.body)).toContain('INVALID_TOKEN');
  });
});
