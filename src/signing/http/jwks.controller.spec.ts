import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { IS_PUBLIC } from '../../auth/decorators';
import { registerEnvelope } from '../../common/http/envelope-hook';
import { AppConfigModule } from '../../config/config.module';
import { loadConfig } from '../../config/load-config';
import { JwksController } from './jwks.controller';
import { formatJwtKeySet, newJwtSigningKey } from '../jwt-key-set';
import { JwtSigner } from '../jwt-signer';
import { SigningRoutesModule } from './signing-routes.module';

const HOUR = 3_600_000;

describe(JwksController.name, () => {
  const keys = [newJwtSigningKey(Date.now() - HOUR), newJwtSigningKey(Date.now() + HOUR)];
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', JWT_SIGNING_KEYS: formatJwtKeySet(keys) });
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule.forRoot(config), SigningRoutesModule],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    // As the app registers it: the route must come out in its RFC shape, not the envelope.
    registerEnvelope(app.getHttpAdapter().getInstance());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app?.close());

  it('answers the JWK set itself, cacheable for five minutes, as application/jwk-set+json', async () => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const body = res.json<{ keys: Record<string, unknown>[] }>();
    expect(Object.keys(body)).toEqual(['keys']);
    expect(body.keys.map((k) => k.kid)).toEqual(keys.map((k) => k.kid));
    for (const key of keys) expect(res.body).not.toContain(key.d);
  });

  it('serves the keys that verify what the signer signs', async () => {
    const jwt = await app.get(JwtSigner).sign({ typ: 'statuslist+jwt' }, { sub: 'x' });
    const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(res.json()), {
      typ: 'statuslist+jwt',
    });
    expect(payload).toEqual({ sub: 'x' });
  });

  it('is public: the global guard asks no token of it', () => {
    const handler = Object.getOwnPropertyDescriptor(JwksController.prototype, 'get')!
      .value as object;
    expect(Reflect.getMetadata(IS_PUBLIC, handler)).toBe(true);
  });
});
