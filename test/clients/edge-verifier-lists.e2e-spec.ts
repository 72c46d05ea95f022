import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { EdgeVerifier } from '../../packages/client/src/verifier';
import { FakeLatchkey, signingKey } from './fake-latchkey';
import { countingServer, SECOND, T0, useEdgeVerifier } from './edge-verifier-fixtures';

/**
 * The EdgeVerifier against status lists an attacker between it and Latchkey serves: forged,
 * rolled back, from another origin, redirected, or signed by a key it must read the set again for.
 */
describe(EdgeVerifier.name, () => {
  const t = useEdgeVerifier();

  describe('lists an attacker serves', () => {
    const other = randomUUID();
    const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const allValid = { statuses: new Array<number>(64).fill(0) };
    /** The claims of a list that says every token is valid, as Latchkey would sign them. */
    const allValidClaims = (l: FakeLatchkey) => ({
      sub: l.uri(),
      iat: Math.floor(T0 / 1000),
      exp: Math.floor(T0 / 1000) + 120,
      ttl: 60,
      status_list: l.statusList(l.listId, allValid),
    });
    /** Latchkey's list endpoint answers with this JWT from now on, whatever is asked. */
    const serveList = (jwt: string) => {
      t.latchkey.listAnswer = (_id, res) => {
        res.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end(jwt);
      };
    };
    /**
     * With no grace (a list refused leaves the verifier nothing it may pass on), a token checked
     * once, then revoked: the list that decides it next is the test's.
     */
    const revokedWithNoGrace = async () => {
      t.sut = t.verifier({ offlineGraceSeconds: 0 });
      const [token, row] = t.latchkey.issue();
      await t.sut.verify(token);
      row.status = 1;
      return token;
    };

    /** Each forges a list that says every token is valid; the token checked is revoked. */
    const FORGED: [string, (l: FakeLatchkey) => Promise<string>][] = [
      [
        'alg none',
        (l) =>
          Promise.resolve(
            `${base64url({ alg: 'none', typ: 'statuslist+jwt', kid: l.keys[0].kid })}.${base64url(allValidClaims(l))}.`,
          ),
      ],
      [
        'HS256 keyed with the public key',
        (l) =>
          new SignJWT(allValidClaims(l))
            .setProtectedHeader({ alg: 'HS256', typ: 'statuslist+jwt', kid: l.keys[0].kid })
            .sign(new TextEncoder().encode(JSON.stringify(l.keys[0].publicJwk))),
      ],
      [
        'signed by a key not in the JWKS',
        async (l) => l.signList(l.listId, allValid, await signingKey()),
      ],
      [
        "signed by another key under Latchkey's kid",
        async (l) => l.signList(l.listId, allValid, await signingKey(l.keys[0].kid)),
      ],
      [
        'a changed lst under the original signature',
        async (l) => {
          const [header, , signature] = (await l.signList()).split('.');
          return `${header}.${base64url(allValidClaims(l))}.${signature}`;
        },
      ],
      ['an exp in the past', (l) => l.signList(l.listId, { ...allValid, exp: T0 / 1000 - 1 })],
      ['no exp', (l) => l.signList(l.listId, { ...allValid, exp: null })],
      ['typ JWT', (l) => l.signList(l.listId, allValid, undefined, { typ: 'JWT' })],
      ['no typ', (l) => l.signList(l.listId, allValid, undefined, { typ: undefined })],
      [
        "another list's sub (a well-signed list of another business)",
        (l) => l.signList(other, { ...allValid, sub: l.uri(other) }),
      ],
      [
        '3 bits a status',
        (l) =>
          l.signList(l.listId, {
            rawStatusList: { bits: 3, lst: l.statusList(l.listId, allValid).lst },
          }),
      ],
      ['no status_list', (l) => l.signList(l.listId, { rawStatusList: 'all valid' })],
      ['a ttl of 0', (l) => l.signList(l.listId, { ...allValid, ttl: 0 })],
    ];

    it.each(FORGED)('refuses a list with %s', async (_name, forge) => {
      const token = await revokedWithNoGrace();
      const forged = await forge(t.latchkey);
      serveList(forged);

      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });
      expect(t.sut.stats()).toMatchObject({ listFetches: 1, listsRefused: 1 });
    });

    it('passes the token on the same list when Latchkey signs it (the control of the table above)', async () => {
      const token = await revokedWithNoGrace();
      const honest = await t.latchkey.signList(t.latchkey.listId, allValid);
      serveList(honest);

      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
    });

    it('refuses a list older than the one it holds (no rollback)', async () => {
      const [token, row] = t.latchkey.issue();
      await t.sut.verify(token);
      const old = await t.latchkey.signList(t.latchkey.listId, { exp: T0 / 1000 + 86_400 });
      await t.sut.verify(token);
      t.later(60 * SECOND);
      row.status = 2;
      expect(await t.sut.verify(token)).toMatchObject({ reason: 'suspended' });

      t.later(60 * SECOND);
      serveList(old);

      expect(await t.sut.verify(token)).toMatchObject({ reason: 'suspended' });
      expect(t.sut.stats().listsRefused).toBe(1);
    });

    it('fetches nothing from a list uri on another origin, and checks that token online', async () => {
      const elsewhere = await countingServer();
      t.latchkey.statusListHeader = `idx=0, uri="${elsewhere.origin}/status-lists/${t.latchkey.listId}"`;
      const [token] = t.latchkey.issue();
      try {
        expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
        expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });

        expect(elsewhere.requests()).toBe(0);
        expect(t.latchkey.calls.verify).toBe(2);
        expect(t.sut.stats().listsRefused).toBeGreaterThan(0);
      } finally {
        await elsewhere.close();
      }
    });

    it('follows no redirect from a list', async () => {
      const elsewhere = await countingServer();
      t.sut = t.verifier({ offlineGraceSeconds: 0 });
      const [token] = t.latchkey.issue();
      t.latchkey.listAnswer = (id, res) => {
        res.writeHead(302, { location: `${elsewhere.origin}/status-lists/${id}` }).end();
      };
      try {
        await t.sut.verify(token);

        expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });
        expect(elsewhere.requests()).toBe(0);
      } finally {
        await elsewhere.close();
      }
    });

    it('reads the key set again for a kid it does not know, at most once per 30 s', async () => {
      const [token] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(token);

      // Latchkey rotates its key: the new kid is read from the set once.
      t.latchkey.keys.push(await signingKey());
      t.later(60 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(t.latchkey.calls.jwks).toBe(2);

      // A stranger's kid: one read of the set, then none until 30 s have passed.
      const stranger = await signingKey();
      t.latchkey.listAnswer = async (id, res) => {
        res.writeHead(200).end(await t.latchkey.signList(id, {}, stranger));
      };
      t.later(60 * SECOND);
      await t.sut.verify(token);
      for (let i = 0; i < 5; i++) {
        t.later(2 * SECOND);
        await t.sut.verify(token);
      }

      expect(t.latchkey.calls.jwks).toBe(3);
      expect(t.latchkey.calls.list).toBeGreaterThan(3);
    });
  });
});
