import {
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
  IssuedToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, getToken, postMember, postToken, rotate } from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { inDays, putPolicy } from '../harness/app/token-policy';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { uniqueEmail } from '../factories/unique';

/**
 * A request that breaks its maker's limits and the business's token policy learns every rule it
 * breaks in one 422 POLICY_VIOLATION: the policy's entries, then the maker's, each with its own
 * `type` and `ctx`. A maker's breach alone keeps its own code (EXPIRY_EXCEEDS_MAKER,
 * CONSTRAINTS_EXCEED_MAKER), a policy's alone is POLICY_VIOLATION, and scopes beyond the maker are
 * 403 SCOPE_ESCALATION before any 422, whatever else the request breaks. Every combination, on
 * create, rotation and a new member's first token; nothing is made unless nothing is broken.
 */

/** The calling token's scopes and networks (the test client is 127.0.0.1). */
const MAKER_SCOPES = ['read:*', 'deploy:*', 'members:write'];
const MAKER_CIDRS = ['127.0.0.0/8', '192.168.0.0/16'];
/** How long the calling token lives when its expiry is the maker's limit broken. */
const MAKER_DAYS = 30;

type Path = 'create' | 'rotate' | 'first token';
type MakerBreach = 'none' | 'expiry' | 'scopes' | 'networks';
type PolicyBreach =
  'none' | 'max_lifetime_days' | 'allowed_scopes' | 'require_expiry' | 'required_cidrs';

const POLICIES: Record<PolicyBreach, object | null> = {
  none: null,
  max_lifetime_days: { max_lifetime_days: 10 },
  allowed_scopes: { allowed_scopes: ['read:*'] },
  require_expiry: { require_expiry: true },
  required_cidrs: { required_cidrs: ['192.168.0.0/16'] },
};

/** What one cell asks: the body, and (rotation) the terms of the token it rotates. */
interface Ask {
  body: Record<string, unknown>;
  rotated: Record<string, unknown>;
}

/** How each path breaks each policy rule, or null where the path cannot (and what it asks). */
const POLICY_ASKS: Record<Path, Record<PolicyBreach, (a: Ask) => string | null>> = {
  create: {
    none: () => null,
    max_lifetime_days: (a) => ((a.body.expires_in_days = 20), 'body.expires_in_days'),
    allowed_scopes: (a) => ((a.body.scopes = ['deploy:x']), 'body.scopes'),
    require_expiry: (a) => (delete a.body.expires_in_days, 'body.expires_at'),
    required_cidrs: (a) => ((a.body.allowed_cidrs = ['127.0.0.0/8']), 'body.allowed_cidrs'),
  },
  rotate: {
    none: () => null,
    // Within the rotated token's 20 days, past the policy's 10.
    max_lifetime_days: (a) => ((a.body.expires_at = inDays(15)), 'body.expires_at'),
    allowed_scopes: (a) => ((a.rotated.scopes = ['deploy:x']), 'body.scopes'),
    require_expiry: (a) => (delete a.rotated.expires_in_days, 'body.expires_at'),
    required_cidrs: (a) => ((a.rotated.allowed_cidrs = ['127.0.0.0/8']), 'body.allowed_cidrs'),
  },
  'first token': {
    none: () => null,
    max_lifetime_days: (a) => ((a.body.expires_in_days = 15), 'body.expires_in_days'),
    // A first token takes its maker's scopes and networks, which lie outside these rules.
    allowed_scopes: () => 'body.scopes',
    require_expiry: () => null, // a first token always expires
    required_cidrs: () => 'body.allowed_cidrs',
  },
};

/** The maker's entry of a detail list; `latest` is the maker's expiry where the test knows it. */
type MakerEntry = { loc: string; type: string; ctx: object };

/**
 * How each path breaks each of the maker's limits. A first token asks for neither scopes nor
 * networks (it takes its maker's, cut to the holder's role), so those cells do not exist.
 */
const MAKER_ASKS: Record<Path, Partial<Record<MakerBreach, (a: Ask) => MakerEntry | 'scopes'>>> = {
  create: {
    expiry: (a) => {
      a.body.expires_in_days = 40;
      return { loc: 'body.expires_in_days', type: 'expiry_exceeds_maker', ctx: {} };
    },
    scopes: (a) => ((a.body.scopes = ['billing:read']), 'scopes'),
    networks: (a) => {
      a.body.allowed_cidrs = ['172.16.0.0/12'];
      return {
        loc: 'body.allowed_cidrs',
        type: 'cidrs_exceed_maker',
        ctx: { allowed: MAKER_CIDRS },
      };
    },
  },
  rotate: {
    expiry: (a) => {
      a.body.expires_at = inDays(40);
      return { loc: 'body.expires_at', type: 'expiry_exceeds_maker', ctx: {} };
    },
    scopes: (a) => ((a.rotated.scopes = ['billing:read']), 'scopes'),
    networks: (a) => {
      a.body.allowed_cidrs = ['172.16.0.0/12'];
      return {
        loc: 'body.allowed_cidrs',
        type: 'cidrs_exceed_maker',
        ctx: { allowed: MAKER_CIDRS },
      };
    },
  },
  'first token': {
    expiry: (a) => {
      a.body.expires_in_days = 40;
      return { loc: 'body.expires_in_days', type: 'expiry_exceeds_maker', ctx: {} };
    },
  },
};

const MAKER_CODES: Record<string, string> = {
  expiry_exceeds_maker: 'EXPIRY_EXCEEDS_MAKER',
  cidrs_exceed_maker: 'CONSTRAINTS_EXCEED_MAKER',
};

const MAKERS: MakerBreach[] = ['none', 'expiry', 'scopes', 'networks'];
const PATHS: Path[] = ['create', 'rotate', 'first token'];

interface Cell {
  path: Path;
  maker: MakerBreach;
  policy: PolicyBreach;
  ask: Ask;
  /** 201; 403 SCOPE_ESCALATION; or 422 with its code and every entry, in order. */
  expected:
    | { status: 201 }
    | { status: 403; code: 'SCOPE_ESCALATION' }
    | { status: 422; code: string; entries: MakerEntry[] };
}

/** The whole table: every path × every maker breach it can ask for × every policy rule. */
function cells(): Cell[] {
  const table: Cell[] = [];
  for (const path of PATHS) {
    for (const maker of MAKERS) {
      const breakMaker = maker === 'none' ? () => null : MAKER_ASKS[path][maker];
      if (!breakMaker) continue;
      for (const policy of Object.keys(POLICIES) as PolicyBreach[]) {
        const ask: Ask = {
          body:
            path === 'create'
              ? { name: 'cell', scopes: ['read:x'], allowed_cidrs: ['192.168.1.0/24'] }
              : {},
          rotated: { scopes: ['read:x'], allowed_cidrs: ['192.168.1.0/24'], expires_in_days: 20 },
        };
        if (path === 'create') ask.body.expires_in_days = 5;
        const policyLoc = POLICY_ASKS[path][policy](ask);
        const makerEntry = breakMaker(ask);
        // Asking past the maker's expiry asks for one: require_expiry is kept by the same ask.
        const policyBroken =
          policyLoc !== null && !(policy === 'require_expiry' && maker === 'expiry');
        const entries: MakerEntry[] = [];
        if (policyBroken) {
          entries.push({ loc: policyLoc, type: 'policy_violation', ctx: { rule: policy } });
        }
        let expected: Cell['expected'];
        if (makerEntry === 'scopes') expected = { status: 403, code: 'SCOPE_ESCALATION' };
        else if (makerEntry) {
          entries.push(makerEntry);
          const code = policyBroken ? 'POLICY_VIOLATION' : MAKER_CODES[makerEntry.type];
          expected = { status: 422, code, entries };
        } else if (policyBroken) expected = { status: 422, code: 'POLICY_VIOLATION', entries };
        else expected = { status: 201 };
        table.push({ path, maker, policy, ask, expected });
      }
    }
  }
  return table;
}

const TABLE = cells();

describe.each(DRIVERS)(
  'a maker’s limits and the business policy broken together, on %s',
  (driver) => {
    let t: TestApp;
    beforeAll(async () => (t = await bootTestApp(driver)));
    afterAll(() => t?.close());

    const email = () => uniqueEmail('breaches');
    const tokensOf = async (biz: BusinessFixture) =>
      (await t.sql('SELECT id FROM api_tokens WHERE business_id = ?', [biz.id])).length;
    const membersOf = async (biz: BusinessFixture) =>
      (await t.sql('SELECT identity_id FROM memberships WHERE business_id = ?', [biz.id])).length;

    /** A business with the cell's policy, set after the maker (and a token to rotate) were made. */
    async function arrange(cell: Cell) {
      const biz = await createUnexpiringBusiness(t);
      const maker: IssuedToken = await createToken(t, asOwner(biz), {
        name: 'maker',
        scopes: MAKER_SCOPES,
        allowed_cidrs: MAKER_CIDRS,
        ...(cell.maker === 'expiry' ? { expires_in_days: MAKER_DAYS } : {}),
      });
      const rotated =
        cell.path === 'rotate'
          ? await createToken(t, asOwner(biz), { name: 'rotated', ...cell.ask.rotated })
          : null;
      const policy = POLICIES[cell.policy];
      if (policy) await putPolicy(t, asOwner(biz), policy).expect(200);
      return { biz, maker, rotated };
    }

    it.each(TABLE.map((c) => [c.path, c.maker, c.policy, c.expected.status, c] as const))(
      '%s, maker breach %s, policy breach %s: answers %s, naming every rule broken',
      async (_path, _maker, _policy, _status, cell) => {
        const { biz, maker, rotated } = await arrange(cell);
        const caller = asMember(maker.secret, biz.id);
        const tokens = await tokensOf(biz);
        const members = await membersOf(biz);
        const body = { ...cell.ask.body };
        const res =
          cell.path === 'create'
            ? await postToken(t, caller, body)
            : cell.path === 'rotate'
              ? await rotate(t, caller, rotated!.id, body)
              : await postMember(t, caller, { email: email(), role: 'member', ...body });

        const { expected } = cell;
        if (expected.status === 201) {
          expect({ status: res.status, body: res.status === 201 ? null : res.body }).toEqual({
            status: 201,
            body: null,
          });
          expect(await tokensOf(biz)).toBe(tokens + 1);
          return;
        }
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: expected.status,
          code: expected.code,
        });
        if (expected.status === 422) {
          const entries = (
            res.body.detail as { loc: string[]; type: string; ctx: Record<string, unknown> }[]
          ).map((d) => ({ loc: d.loc.join('.'), type: d.type, ctx: d.ctx }));
          const latest = maker.view.expires_at;
          expect(entries).toEqual(
            expected.entries.map((e) =>
              e.type === 'expiry_exceeds_maker'
                ? // A successor's latest is the earlier of its predecessor's length and the maker.
                  { ...e, ctx: { latest: cell.path === 'rotate' ? expect.any(String) : latest } }
                : e,
            ),
          );
        }
        // Nothing is made, no member added, and the token to rotate is as it was.
        expect(await tokensOf(biz)).toBe(tokens);
        expect(await membersOf(biz)).toBe(members);
        if (rotated) {
          const view = (await getToken(t, asOwner(biz), rotated.id).expect(200)).body.data;
          expect(view).toMatchObject({ status: 'active', expires_at: rotated.view.expires_at });
        }
      },
    );

    it('the CLI’s rotate names every rule broken too: the policy’s lines, then the maker’s', async () => {
      const biz = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(biz), {
        name: 'cli-rotated',
        scopes: ['deploy:x'],
        expires_in_days: 20,
      });
      await putPolicy(t, asOwner(biz), {
        ...POLICIES.max_lifetime_days,
        ...POLICIES.allowed_scopes,
      }).expect(200);
      const tokens = await tokensOf(biz);
      // Past the old token's 20 days (the operator's ceiling) and the policy's 10, outside its scopes.
      const res = await cliInProcess(
        ['tokens', 'rotate', old.id, '--expires-at', inDays(40)],
        t.db.env,
      );
      expect(res).toMatchObject({ code: 1, stdout: '' });
      const lines = res.stderr.split('\n').filter((l) => l.startsWith('  '));
      expect(res.stderr).toContain('(POLICY_VIOLATION)');
      expect(lines).toEqual([
        expect.stringMatching(/^ {2}expires_at: max_lifetime_days: /),
        expect.stringMatching(/^ {2}scopes: allowed_scopes: /),
        expect.stringMatching(/^ {2}expires_at: Input should be no later than \d{4}-/),
      ]);
      expect(await tokensOf(biz)).toBe(tokens);
    });

    it('the table holds every combination each path can ask for', () => {
      const count = (path: Path) => TABLE.filter((c) => c.path === path).length;
      expect([count('create'), count('rotate'), count('first token')]).toEqual([20, 20, 10]);
      const combined = TABLE.filter(
        (c) =>
          c.expected.status === 422 && c.expected.code === 'POLICY_VIOLATION' && c.maker !== 'none',
      );
      expect(combined.length).toBeGreaterThanOrEqual(12);
    });
  },
);
