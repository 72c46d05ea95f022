import type { Invalidations, InvalidationHandler } from '../../common/invalidations';
import type { Database } from '../../database/connection/read-routing';
import type { TrustRule } from '../store/trust-rule.entity';
import type { TrustRulesRepository } from '../store/trust-rules.repository';
import { TrustRuleBook } from './trust-rule-book';

const BIZ = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const ISSUER = 'https://token.actions.githubusercontent.com';

const rule = (id: string) => ({ id, subject: 'repo:*', jwks: null }) as unknown as TrustRule;

describe(TrustRuleBook.name, () => {
  let reads: { businessId: string; issuer: string; answer: (rules: TrustRule[]) => void }[];
  let handlers: InvalidationHandler[];
  let stateListeners: (() => void)[];
  let sut: TrustRuleBook;

  beforeEach(() => {
    reads = [];
    handlers = [];
    stateListeners = [];
    const rules = {
      findByIssuer: (businessId: string, issuer: string) =>
        new Promise<TrustRule[]>((answer) => reads.push({ businessId, issuer, answer })),
    } as unknown as TrustRulesRepository;
    const invalidations = {
      subscribe: (h: InvalidationHandler) => (handlers.push(h), () => undefined),
      onStateChange: (l: () => void) => (stateListeners.push(l), () => undefined),
    } as unknown as Invalidations;
    sut = new TrustRuleBook(rules, { primary: {} } as Database, invalidations);
  });

  /** Asks for the issuer's rules and answers the read it makes, if it makes one. */
  async function ofIssuer(businessId: string, rules: TrustRule[]) {
    const asked = sut.ofIssuer(businessId, ISSUER);
    await Promise.resolve();
    reads.shift()?.answer(rules);
    return asked;
  }

  it('reads an issuer once, then answers from memory', async () => {
    expect(await ofIssuer(BIZ, [rule('r1')])).toEqual([rule('r1')]);
    expect(await ofIssuer(BIZ, [rule('r2')])).toEqual([rule('r1')]);
    expect(reads).toHaveLength(0);
  });

  it.each(['business.changed', 'membership.changed'] as const)(
    "forgets a business's issuers on %s, and no other business's",
    async (type) => {
      await ofIssuer(BIZ, [rule('r1')]);
      await ofIssuer(OTHER, [rule('o1')]);
      for (const h of handlers) {
        h(
          type === 'business.changed'
            ? { type, business_id: BIZ }
            : { type, business_id: BIZ, identity_id: 'machine' },
        );
      }
      expect(await ofIssuer(BIZ, [])).toEqual([]);
      expect(await ofIssuer(OTHER, [])).toEqual([rule('o1')]);
    },
  );

  it('serves a read that raced a change, but does not keep it', async () => {
    const asked = sut.ofIssuer(BIZ, ISSUER);
    await Promise.resolve();
    for (const h of handlers) h({ type: 'business.changed', business_id: BIZ });
    reads.shift()!.answer([rule('deleted')]);
    expect(await asked).toEqual([rule('deleted')]);
    expect(await ofIssuer(BIZ, [])).toEqual([]);
  });

  it('forgets everything when the bus goes down or comes back', async () => {
    await ofIssuer(BIZ, [rule('r1')]);
    for (const l of stateListeners) l();
    expect(await ofIssuer(BIZ, [])).toEqual([]);
  });

  it('keeps a bounded number of issuers: an attacker naming new ones pushes out the oldest', async () => {
    for (let i = 0; i < 10_001; i++) {
      const asked = sut.ofIssuer(BIZ, `${ISSUER}/${i}`);
      await Promise.resolve();
      reads.shift()!.answer([]);
      await asked;
    }
    const first = sut.ofIssuer(BIZ, `${ISSUER}/0`);
    await Promise.resolve();
    expect(reads).toHaveLength(1);
    reads.shift()!.answer([]);
    await first;
  });
});
