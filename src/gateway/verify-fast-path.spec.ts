import { ForbiddenException, type ArgumentsHost, type ExecutionContext } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { GATEWAY_CHECK } from '../auth/decorators';
import { userContext } from '../../test/fixtures/request-context';
import { AuthError } from '../auth/auth-error';
import { CONTEXT_KEY } from '../common/http/request-keys';
import { registerVerifyFastPath } from './verify-fast-path';
import { VerifyController } from './http/verify.controller';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const ctx = userContext();

/** A route as Nest hands it to Fastify: a function carrying its method's metadata. */
function nestRoute(method: object | null, url: string): RouteOptions {
  const handler = () => 'nest';
  if (method) {
    for (const key of Reflect.getMetadataKeys(method)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, method), handler);
    }
  }
  return { method: 'GET', url, handler };
}

function fakeReply() {
  const sent: { status?: number; headers: Record<string, string>; sends: number } = {
    headers: {},
    sends: 0,
  };
  const reply = {
    code(status: number) {
      sent.status = status;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    headers(values: Record<string, string>) {
      Object.assign(sent.headers, values);
      return reply;
    },
    send() {
      sent.sends++;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe(registerVerifyFastPath.name, () => {
  let onRoute: (route: RouteOptions) => void;
  const guard = { canActivate: jest.fn<Promise<boolean>, [ExecutionContext]>() };
  const filter = { catch: jest.fn<void, [unknown, ArgumentsHost]>() };

  beforeEach(() => {
    guard.canActivate.mockReset();
    filter.catch.mockReset();
    const fastify = {
      addHook: (_name: string, hook: (route: RouteOptions) => void) => (onRoute = hook),
    };
    registerVerifyFastPath(fastify as unknown as FastifyInstance, guard, filter);
  });

  it.each([
    ['/auth/verify', VerifyController.prototype.verify],
    ['/auth/verify/*', VerifyController.prototype.verifyBelow],
  ])('takes %s, and runs the guard on a context naming its method', async (url, method) => {
    const route = nestRoute(method, url);
    onRoute(route);
    guard.canActivate.mockImplementation((context) => {
      expect([context.getClass(), context.getHandler()]).toEqual([VerifyController, method]);
      context.switchToHttp().getRequest<Record<string, unknown>>()[CONTEXT_KEY] = ctx;
      return Promise.resolve(true);
    });
    const { reply, sent } = fakeReply();
    await (route.handler as Handler)({} as FastifyRequest, reply);
    expect(sent.status).toBe(204);
    expect(sent.headers).toEqual(
      expect.objectContaining({
        'cache-control': 'no-store',
        'x-latchkey-token-id': ctx.token.id,
        'x-latchkey-identity-id': ctx.actor.id,
      }),
    );
    expect([sent.sends, filter.catch.mock.calls.length]).toEqual([1, 0]);
  });

  it('leaves every other route to Nest, a gateway check it does not know included', () => {
    const other = nestRoute(null, '/api/v1/me');
    const unknown = nestRoute(null, '/elsewhere');
    Reflect.defineMetadata(GATEWAY_CHECK, true, unknown.handler);
    Reflect.defineMetadata(PATH_METADATA, 'elsewhere', unknown.handler);
    const before = [other.handler, unknown.handler];
    onRoute(other);
    onRoute(unknown);
    expect([other.handler, unknown.handler]).toEqual(before);
  });

  // The attacker's case: whatever the guard does short of saying yes, no 204 goes out.
  it.each([
    ['throws', () => Promise.reject(AuthError.bearer('INVALID_TOKEN')), AuthError],
    ['answers false', () => Promise.resolve(false), ForbiddenException],
  ])(
    'answers through the exception filter when the guard %s, and never 204',
    async (_, verdict, type) => {
      const route = nestRoute(VerifyController.prototype.verify, '/auth/verify');
      onRoute(route);
      guard.canActivate.mockImplementation(verdict);
      const { reply, sent } = fakeReply();
      const request = {} as FastifyRequest;
      await (route.handler as Handler)(request, reply);
      expect(sent.status).toBeUndefined();
      expect(sent.sends).toBe(0);
      expect(filter.catch).toHaveBeenCalledTimes(1);
      const [error, host] = filter.catch.mock.calls[0];
      expect(error).toBeInstanceOf(type);
      expect(host.switchToHttp().getRequest()).toBe(request);
    },
  );
});
