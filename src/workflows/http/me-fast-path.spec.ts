import type { ArgumentsHost, ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AuthError } from '../../auth/auth-error';
import type { RequestContext } from '../../auth/request-context';
import { userContext } from '../../../test/fixtures/request-context';
import { envelope } from '../../common/http/envelope';
import { CONTEXT_KEY } from '../../common/http/request-keys';
import { settledAnswer } from '../../common/settled-answer';
import { WhoamiController } from './whoami.controller';
import { MeController } from './me.controller';
import { registerMeFastPath } from './me-fast-path';
import type { MeService } from '../me.service';
import type { MeViewDto } from '../dto/workflows.dto';

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

const ctx = userContext();

const view = { role: 'owner' } as unknown as MeViewDto;

/** A route as Nest hands it to Fastify: a function carrying its method's metadata. */
function nestRoute(method: object, url: string): RouteOptions {
  const handler = () => 'nest';
  for (const key of Reflect.getMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, method), handler);
  }
  return { method: 'GET', url, handler };
}

function fakeReply() {
  const sent: { status?: number; payloads: unknown[]; headers?: Record<string, string> } = {
    payloads: [],
  };
  const reply = {
    code(status: number) {
      sent.status = status;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers = { ...sent.headers, [name]: value };
      return reply;
    },
    send(payload: unknown) {
      sent.payloads.push(payload);
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe(registerMeFastPath.name, () => {
  let onRoute: (route: RouteOptions) => void;
  const guard = { canActivate: jest.fn<boolean | Promise<boolean>, [ExecutionContext]>() };
  const filter = { catch: jest.fn<void, [unknown, ArgumentsHost]>() };
  const describeMe = jest.fn<MeViewDto | Promise<MeViewDto>, [RequestContext]>();

  beforeEach(() => {
    guard.canActivate.mockReset();
    filter.catch.mockReset();
    describeMe.mockReset();
    const fastify = {
      addHook: (_name: string, hook: (route: RouteOptions) => void) => (onRoute = hook),
    };
    const me = { describe: describeMe } as unknown as MeService;
    registerMeFastPath(fastify as unknown as FastifyInstance, guard, filter, me);
  });

  const admitting = (context: ExecutionContext) => {
    expect([context.getClass(), context.getHandler()]).toEqual([
      MeController,
      MeController.prototype.get,
    ]);
    context.switchToHttp().getRequest<Record<string, unknown>>()[CONTEXT_KEY] = ctx;
    return true;
  };

  // A warm token: the guard and the service answer at once, and so does the handler.
  it('answers a guard and a view given at once in the same call, with no promise', () => {
    const route = nestRoute(MeController.prototype.get, '/api/v1/me');
    onRoute(route);
    guard.canActivate.mockImplementation(admitting);
    describeMe.mockReturnValue(view);
    const { reply, sent } = fakeReply();
    const answered = (route.handler as Handler)({} as FastifyRequest, reply);
    expect(answered).toBeUndefined();
    expect(sent).toEqual({ status: 200, payloads: [view] });
    expect(describeMe).toHaveBeenCalledWith(ctx);
    expect(filter.catch).not.toHaveBeenCalled();
  });

  it("sends a settled view's JSON as written once, as the envelope hook would", () => {
    const route = nestRoute(MeController.prototype.get, '/api/v1/me');
    onRoute(route);
    guard.canActivate.mockImplementation(admitting);
    const settled = settledAnswer({ role: 'owner', token: { preview: 'lk_ab12…wxyz' } });
    describeMe.mockReturnValue(settled as unknown as MeViewDto);
    const { reply, sent } = fakeReply();
    (route.handler as Handler)({} as FastifyRequest, reply);
    expect(sent.status).toBe(200);
    expect(sent.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
    expect(sent.payloads).toEqual([JSON.stringify(envelope(settled))]);
  });

  it('waits for a guard or a view that must wait', async () => {
    const route = nestRoute(MeController.prototype.get, '/api/v1/me');
    onRoute(route);
    guard.canActivate.mockImplementation((c) => Promise.resolve(admitting(c)));
    describeMe.mockResolvedValue(view);
    const { reply, sent } = fakeReply();
    await (route.handler as Handler)({} as FastifyRequest, reply);
    expect(sent).toEqual({ status: 200, payloads: [view] });
  });

  it('takes the route Nest made for MeController.get, whatever its path, and leaves the others to Nest', () => {
    const me = nestRoute(MeController.prototype.get, '/elsewhere/me');
    const whoami = nestRoute(WhoamiController.prototype.get, '/api/v1/me');
    const bare: RouteOptions = { method: 'GET', url: '/api/v1/me', handler: () => 'other' };
    const before = [me.handler, whoami.handler, bare.handler];
    for (const route of [me, whoami, bare]) onRoute(route);
    expect(me.handler).not.toBe(before[0]);
    expect([whoami.handler, bare.handler]).toEqual(before.slice(1));
  });

  // The attacker's case: whatever the guard does short of saying yes, no view goes out.
  it.each([
    [
      'throws',
      () => {
        throw AuthError.bearer('TOKEN_REVOKED');
      },
    ],
    ['rejects', () => Promise.reject(AuthError.bearer('TOKEN_REVOKED'))],
    ['says false', () => false],
    ['says false later', () => Promise.resolve(false)],
  ])('sends no view when the guard %s, and the filter answers', async (_, verdict) => {
    const route = nestRoute(MeController.prototype.get, '/api/v1/me');
    onRoute(route);
    guard.canActivate.mockImplementation(verdict);
    const { reply, sent } = fakeReply();
    const request = {} as FastifyRequest;
    await (route.handler as Handler)(request, reply);
    expect(sent.payloads).toEqual([]);
    expect(describeMe).not.toHaveBeenCalled();
    expect(filter.catch).toHaveBeenCalledTimes(1);
    expect(filter.catch.mock.calls[0][1].switchToHttp().getRequest()).toBe(request);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
    ],
    ['rejects', () => Promise.reject(new Error('boom'))],
  ])('hands the filter a failure when the service %s', async (_, failure) => {
    const route = nestRoute(MeController.prototype.get, '/api/v1/me');
    onRoute(route);
    guard.canActivate.mockImplementation(admitting);
    describeMe.mockImplementation(failure);
    const { reply, sent } = fakeReply();
    await (route.handler as Handler)({} as FastifyRequest, reply);
    expect(sent.payloads).toEqual([]);
    expect(filter.catch).toHaveBeenCalledTimes(1);
  });
});
