import { Logger } from '@nestjs/common';
import type { InvalidationMessage, Invalidations } from '../../common/invalidations';
import type { AppConfig } from '../../config/app-config';
import type { Database } from '../../database/connection/read-routing';
import type { JwtSigner } from '../../signing/jwt-signer';
import type { TenancyDirectory } from '../../tenancy/tenancy-directory';
import type {
  ListedToken,
  StatusListsRepository,
} from '../store/repositories/status-lists.repository';
import { StatusListReferences } from './status-list-references';
import { StatusListService } from './status-list.service';

const LIST = '1b3c8f0e-2d4a-4c51-9e0f-6a7b8c9d0e1f';
const BUSINESS = '3f2b8c1e-5d4a-4c3b-9a2e-1f0e9d8c7b6a';
const TTL_S = 60;

/** The service over a list of one business, whose reads are counted and whose bus is in hand. */
function world(settings: Partial<AppConfig> = {}) {
  const reads = { lists: 0, tokens: 0 };
  const state = { tokens: [] as ListedToken[], nextExpiry: null as Date | null };
  const repo = {
    findList: (id: string) => {
      reads.lists++;
      return Promise.resolve(
        id === LIST ? { id, businessId: BUSINESS, capacity: 16, nextIndex: 4 } : null,
      );
    },
    listed: () => {
      reads.tokens++;
      return Promise.resolve({ tokens: [...state.tokens], nextExpiry: state.nextExpiry });
    },
  } as unknown as StatusListsRepository;
  const handlers: ((m: InvalidationMessage) => void)[] = [];
  const listeners: ((connected: boolean) => void)[] = [];
  const bus = {
    subscribe: (h: (m: InvalidationMessage) => void) => (handlers.push(h), () => undefined),
    onStateChange: (l: (c: boolean) => void) => (listeners.push(l), () => undefined),
  } as unknown as Invalidations;
  const config = {
    PORT: 3000,
    STATUS_LIST_TTL_SECONDS: TTL_S,
    databaseDriver: 'sqlite',
    ...settings,
  } as AppConfig;
  const signer = {
    sign: (_h: object, payload: object) => Promise.resolve(`jwt:${JSON.stringify(payload)}`),
  } as unknown as JwtSigner;
  const tenancy = {
    findBusiness: () => Promise.resolve({ id: BUSINESS, status: 'active' }),
  } as unknown as TenancyDirectory;
  const sut = new StatusListService(
    config,
    new StatusListReferences(config),
    repo,
    { primary: {} } as Database,
    signer,
    tenancy,
    bus,
  );
  return {
    sut,
    reads,
    state,
    tell: (m: InvalidationMessage) => handlers.forEach((h) => h(m)),
    connected: (c: boolean) => listeners.forEach((l) => l(c)),
  };
}

describe(StatusListService.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-27T12:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('builds a list once for the callers that ask together, and keeps it', async () => {
    const { sut, reads } = world();
    const [a, b] = await Promise.all([sut.served(LIST), sut.served(LIST)]);
    expect(a).toBe(b);
    await sut.served(LIST);
    expect(reads.tokens).toBe(1);
  });

  it('drops it when a change to its business arrives on the bus, and keeps it for another', async () => {
    const { sut, reads, state, tell } = world();
    const before = await sut.served(LIST);
    tell({ type: 'token.changed', business_id: 'another', jti: 'j' });
    await sut.served(LIST);
    expect(reads.tokens).toBe(1);
    state.tokens = [{ index: 3, revoked: true, expired: false, disabled: false }];
    tell({ type: 'token.changed', business_id: BUSINESS, jti: 'j' });
    const after = await sut.served(LIST);
    expect(reads.tokens).toBe(2);
    expect(after!.json.body).not.toBe(before!.json.body);
  });

  it('keeps it for its ttl, or until the first of its tokens expires, whichever comes first', async () => {
    const { sut, reads, state } = world();
    const first = await sut.served(LIST);
    expect(first!.until - Date.now()).toBe(TTL_S * 1000);
    jest.setSystemTime(Date.now() + TTL_S * 1000);
    state.nextExpiry = new Date(Date.now() + 5_000);
    const second = await sut.served(LIST);
    expect(reads.tokens).toBe(2);
    expect(second!.until - Date.now()).toBe(5_000);
    jest.setSystemTime(Date.now() + 5_001);
    await sut.served(LIST);
    expect(reads.tokens).toBe(3);
  });

  it('while the bus is down, keeps a list one second at most, so a loop of fetches builds once a second', async () => {
    const { sut, reads, connected } = world();
    await sut.served(LIST);
    connected(false);
    await sut.served(LIST);
    expect(reads.tokens).toBe(2);
    jest.setSystemTime(Date.now() + 999);
    await sut.served(LIST);
    expect(reads.tokens).toBe(2);
    jest.setSystemTime(Date.now() + 2);
    await sut.served(LIST);
    expect(reads.tokens).toBe(3);
    connected(true);
    await sut.served(LIST);
    await sut.served(LIST);
    expect(reads.tokens).toBe(4);
  });

  it('warns at start on PostgreSQL when PUBLIC_BASE_URL is not set, and only then', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      world({ databaseDriver: 'postgres' });
      expect(warn.mock.calls.map(([text]) => String(text))).toEqual([
        expect.stringMatching(
          /^PUBLIC_BASE_URL is not set: status lists name http:\/\/localhost:3000\//,
        ),
      ]);
      warn.mockClear();
      world({ databaseDriver: 'postgres', PUBLIC_BASE_URL: 'https://latchkey.example.com' });
      world({ databaseDriver: 'sqlite' });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('answers null for a list that is not there, and keeps nothing of it', async () => {
    const { sut, reads } = world();
    expect(await sut.served('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await sut.served('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(reads.lists).toBe(2);
  });
});
