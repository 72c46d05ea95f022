import type { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { DomainEvent } from './domain-event';
import { holdDeclaredLocks, holdKeyLock, readUnderKeyLocks } from './key-lock';
import { Transaction, type EventDispatch } from './transaction';

/** A transaction on a PostgreSQL-shaped manager that records the statements sent to it. */
function recordingTx(): { sut: Transaction; sent: string[] } {
  const sent: string[] = [];
  const manager = {
    connection: { options: { type: 'postgres' } },
    query: (sql: string, params: unknown[] = []) => {
      sent.push(`${sql.includes('_shared') ? 'shared' : 'exclusive'} ${String(params[1])}`);
      return Promise.resolve([]);
    },
  } as unknown as EntityManager;
  const events: EventDispatch = {
    dispatch: () => Promise.resolve(),
    subscribersOf: () => [],
  };
  return { sut: new Transaction(manager, events, {} as Logger), sent };
}

const event = { name: 'test.happened' } as unknown as DomainEvent;

describe('key locks and the one order', () => {
  it('takes declared locks by key, each once, exclusive over shared, whatever the order given', async () => {
    const { sut, sent } = recordingTx();
    await holdDeclaredLocks(
      [
        { key: 'token-policy:b', mode: 'shared' },
        { key: 'membership:b:i', mode: 'shared' },
        { key: 'active-tokens:b:i', mode: 'exclusive' },
        { key: 'membership:b:i', mode: 'exclusive' },
      ],
      sut,
    );
    expect(sent).toEqual([
      'exclusive active-tokens:b:i',
      'exclusive membership:b:i',
      'shared token-policy:b',
    ]);
  });

  it('does not ask again for a key already held as strongly', async () => {
    const { sut, sent } = recordingTx();
    await holdDeclaredLocks([{ key: 'token-policy:b', mode: 'shared' }], sut);
    await holdKeyLock('token-policy:b', 'shared', sut);
    await readUnderKeyLocks(['token-policy:b'], 'shared', () => Promise.resolve(1), sut);
    expect(sent).toEqual(['shared token-policy:b']);
  });

  it('lets a key held before the first event be read under again after it', async () => {
    const { sut } = recordingTx();
    await holdDeclaredLocks([{ key: 'token-policy:b', mode: 'shared' }], sut);
    await sut.publish(event);
    await expect(
      readUnderKeyLocks(['token-policy:b'], 'shared', () => Promise.resolve('read'), sut),
    ).resolves.toBe('read');
  });
});
