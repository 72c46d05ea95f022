import { CLI_AUTHOR } from '../../src/database/units/domain-event';
import { CreateTokenDto } from '../../src/tokens/dto/token-requests.dto';
import { TokenIssuanceService } from '../../src/tokens/lifecycle/issuance/token-issuance.service';
import { asMember, asOwner, Caller } from '../harness/app/api';
import type { TestApp } from '../harness/app/test-app';
import { uniqueEmail, uniqueLabel } from './unique';

export { asMember };

export interface BusinessFixture {
  id: string;
  ownerId: string;
  ownerEmail: string;
  ownerToken: string;
}

export interface MemberFixture {
  identityId: string;
  email: string;
  token: string;
}

/** A business with its owner and the owner's first token, in one line. */
export async function createBusiness(
  t: TestApp,
  name = uniqueLabel('biz'),
): Promise<BusinessFixture> {
  const ownerEmail = uniqueEmail('owner');
  const res = await t
    .http()
    .post('/platform/v1/businesses')
    .set('authorization', `Bearer ${t.platformToken}`)
    .send({ name, owner_email: ownerEmail })
    .expect(201);
  const data = res.body.data;
  return {
    id: data.business.id,
    ownerId: data.owner.identity_id,
    ownerEmail,
    ownerToken: data.first_token.token,
  };
}

/**
 * A business whose owner's token never expires. A first token always does, and a token never
 * outlives the token that makes it, so the owner's is made the one way an unexpiring token is:
 * by the operator (`cli tokens create`), here through the same service in-process.
 */
export async function createUnexpiringBusiness(
  t: TestApp,
  name = uniqueLabel('biz'),
): Promise<BusinessFixture> {
  const business = await createBusiness(t, name);
  const dto = Object.assign(new CreateTokenDto(), { name: 'owner-unexpiring' });
  const issued = await t.app
    .get(TokenIssuanceService)
    .issueForMember(CLI_AUTHOR, business.id, business.ownerEmail, dto);
  return { ...business, ownerToken: issued.token };
}

/** Adds a person to a business, as its owner, and returns their first token. */
export async function addMember(
  t: TestApp,
  business: BusinessFixture,
  role: 'owner' | 'admin' | 'member' = 'member',
  email = uniqueEmail(role),
): Promise<MemberFixture> {
  const res = await t
    .http()
    .post('/api/v1/members')
    .set(asOwner(business))
    .send({ email, role })
    .expect(201);
  return {
    identityId: res.body.data.member.identity_id,
    email,
    token: res.body.data.first_token.token,
  };
}

/** Creates a machine identity in a business, as its owner. */
export async function createMachine(
  t: TestApp,
  business: BusinessFixture,
  role: 'admin' | 'member' = 'member',
  name = uniqueLabel('machine'),
): Promise<{ id: string; name: string }> {
  const res = await t
    .http()
    .post('/api/v1/machine-identities')
    .set(asOwner(business))
    .send({ name, role })
    .expect(201);
  return { id: res.body.data.id, name };
}

/** A token view as the API answers it (the fields the specs read; the rest untyped). */
export interface TokenView {
  id: string;
  jti: string;
  name: string;
  identity_id: string;
  business_id: string | null;
  status: string;
  scopes: string[] | null;
  created_at: string;
  expires_at: string | null;
  [field: string]: unknown;
}

export interface IssuedToken {
  id: string;
  jti: string;
  secret: string;
  /** The create answer's view (`data` without the secret). */
  view: TokenView;
}

/** A token made by `caller` (201 asserted), named `test-token` unless `body` names it. */
export async function createToken(
  t: TestApp,
  caller: Caller,
  body: Record<string, unknown> = {},
): Promise<IssuedToken> {
  const res = await t
    .http()
    .post('/api/v1/tokens')
    .set(caller)
    .send({ name: 'test-token', ...body });
  expect({ status: res.status, body: res.status === 201 ? null : res.body }).toEqual({
    status: 201,
    body: null,
  });
  const { token: secret, ...view } = res.body.data as TokenView & { token: string };
  return { id: view.id, jti: view.jti, secret, view };
}
