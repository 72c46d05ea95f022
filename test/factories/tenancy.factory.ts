import type { TestApp } from '../helpers/test-app';

let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${++counter}`;

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
export async function createBusiness(t: TestApp, name = unique('biz')): Promise<BusinessFixture> {
  const ownerEmail = `${unique('owner')}@example.test`;
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

/** Adds a person to a business, as its owner, and returns their first token. */
export async function addMember(
  t: TestApp,
  business: BusinessFixture,
  role: 'owner' | 'admin' | 'member' = 'member',
  email = `${unique(role)}@example.test`,
): Promise<MemberFixture> {
  const res = await t
    .http()
    .post('/api/v1/members')
    .set('authorization', `Bearer ${business.ownerToken}`)
    .set('x-business-id', business.id)
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
  name = unique('machine'),
): Promise<{ id: string; name: string }> {
  const res = await t
    .http()
    .post('/api/v1/machine-identities')
    .set('authorization', `Bearer ${business.ownerToken}`)
    .set('x-business-id', business.id)
    .send({ name, role })
    .expect(201);
  return { id: res.body.data.id, name };
}

/** Headers of a business-scoped call. */
export function asMember(token: string, businessId: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'x-business-id': businessId };
}

/** A token made by the business's owner (or `body.identity_id`'s machine); its id and secret. */
export async function createToken(
  t: TestApp,
  business: BusinessFixture,
  body: Record<string, unknown> = {},
): Promise<{ id: string; secret: string }> {
  const res = await t
    .http()
    .post('/api/v1/tokens')
    .set(asMember(business.ownerToken, business.id))
    .send({ name: 'test-token', ...body })
    .expect(201);
  return { id: res.body.data.id as string, secret: res.body.data.token as string };
}
