import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { AuthGuard } from '@nestjs/passport';
import type { AppConfig } from '../../config/app-config';
import type { EventOrigin } from '../../database/units/domain-event';
import type { PrincipalVerifier, VerifiedPrincipal } from '../ports';
import { BearerStrategy } from './bearer.strategy';

// The global guard skips passport; the strategy must still work for AuthGuard('bearer').
describe(BearerStrategy.name, () => {
  const principal = { actor: { id: 'identity' }, token: { id: 'token' }, role: 'owner' };
  const calls: [string, EventOrigin, string | null][] = [];
  const verifier: PrincipalVerifier = {
    verify: (secret: string, origin: EventOrigin, _proof, resource: string | null) => {
      calls.push([secret, origin, resource]);
      return Promise.resolve(principal as unknown as VerifiedPrincipal);
    },
  };
  new BearerStrategy(verifier, { PORT: 3000 } as AppConfig);

  const contextFor = (view: Record<string, unknown>) => {
    const context = new ExecutionContextHost([view, {}]);
    context.setType('http');
    return context;
  };

  it('hands the header token and the origin to the verifier, and yields its principal', async () => {
    const sut = new (AuthGuard('bearer'))();
    const origin = { channel: 'api' as const, requestId: 'r', ip: '127.0.0.1', userAgent: null };
    const view: Record<string, unknown> = {
      headers: { authorization: 'Bearer lk_secret' },
      origin,
    };
    await expect(sut.canActivate(contextFor(view))).resolves.toBe(true);
    // The installation's own resource, which a token bound to audiences must name.
    expect(calls).toEqual([['lk_secret', origin, 'http://localhost:3000']]);
    expect(view.user).toBe(principal);
  });
});
