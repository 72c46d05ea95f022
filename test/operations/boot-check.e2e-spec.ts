import { DomainEvents } from '../../src/database/units/domain-events';
import { TokenRevokedEvent } from '../../src/tokens/tokens.events';
import { bootTestApp, createTestDatabase } from '../harness/app/test-app';

/**
 * No audited event may be emitted into the void: a process whose audit log lacks a handler for
 * an audited event class refuses to start, before it can change anything, and names the class.
 */
describe('boot check of audited events', () => {
  afterEach(() => jest.restoreAllMocks());

  it('refuses to start when the audit handler of an audited event is missing, naming it', async () => {
    const handle = DomainEvents.prototype.handle;
    // The audit listener as if someone had deleted its TokenRevokedEvent handler.
    jest.spyOn(DomainEvents.prototype, 'handle').mockImplementation(function (
      this: DomainEvents,
      ...args: Parameters<DomainEvents['handle']>
    ) {
      if (args[0] === TokenRevokedEvent) return;
      handle.apply(this, args);
    });
    const db = await createTestDatabase('sqlite');
    try {
      await expect(bootTestApp('sqlite', {}, db)).rejects.toThrow(
        /Audited events without an audit handler: TokenRevokedEvent\b/,
      );
    } finally {
      await db.drop();
    }
  });

  it('starts when every audited event has its handler', async () => {
    const t = await bootTestApp('sqlite');
    expect(t.app.get(DomainEvents).unaudited()).toEqual([]);
    await t.close();
  });
});
