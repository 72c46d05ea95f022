import type { Test } from 'supertest';
import type { TestApp } from './test-app';

/**
 * The API as the e2e specs call it. Every request helper takes the app, then who calls (the
 * headers from `asOwner`, `asMember`, `asPlatform` or `asBearer`), then what; it returns the
 * supertest request, so a test may `.expect(200)` it or assert on the answer itself.
 */
export type Caller = Record<string, string>;

/** Headers of a call with this bearer token and no x-business-id. */
export function asBearer(token: string): Caller {
  return { authorization: `Bearer ${token}` };
}

/** Headers of a platform-token call (the bootstrap admin's token, no x-business-id). */
export function asPlatform(t: TestApp): Caller {
  return asBearer(t.platformToken);
}

/** Headers of a business-scoped call. */
export function asMember(token: string, businessId: string): Caller {
  return { authorization: `Bearer ${token}`, 'x-business-id': businessId };
}

/** Headers of a call by the business's owner, with their first token. */
export function asOwner(business: { id: string; ownerToken: string }): Caller {
  return asMember(business.ownerToken, business.id);
}

/** GET /api/v1/me. */
export const me = (t: TestApp, caller: Caller): Test => t.http().get('/api/v1/me').set(caller);

/** GET /api/v1/whoami: the caller from the token alone (an x-business-id in `caller` is ignored). */
export const whoami = (t: TestApp, caller: Caller): Test =>
  t.http().get('/api/v1/whoami').set(caller);

/** POST /api/v1/tokens with the body as given (see `createToken` for a token that must exist). */
export const postToken = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().post('/api/v1/tokens').set(caller).send(body);

/** GET /api/v1/tokens. */
export const listTokens = (t: TestApp, caller: Caller, query: object | string = {}): Test =>
  t.http().get('/api/v1/tokens').query(query).set(caller);

/** GET /api/v1/tokens/{id}. */
export const getToken = (t: TestApp, caller: Caller, id: string): Test =>
  t.http().get(`/api/v1/tokens/${id}`).set(caller);

/** PATCH /api/v1/tokens/{id}. */
export const renameToken = (t: TestApp, caller: Caller, id: string, body: object): Test =>
  t.http().patch(`/api/v1/tokens/${id}`).set(caller).send(body);

/** POST /api/v1/tokens/{id}/revoke. */
export const revoke = (t: TestApp, caller: Caller, id: string, body: object = {}): Test =>
  t.http().post(`/api/v1/tokens/${id}/revoke`).set(caller).send(body);

/** POST /api/v1/tokens/self/revoke: revokes the token that makes the call. */
export const selfRevoke = (t: TestApp, caller: Caller, body: object = {}): Test =>
  t.http().post('/api/v1/tokens/self/revoke').set(caller).send(body);

/** DELETE /api/v1/tokens/{id}, with no body unless one is given. */
export const deleteToken = (t: TestApp, caller: Caller, id: string, body?: object): Test => {
  const req = t.http().delete(`/api/v1/tokens/${id}`).set(caller);
  return body === undefined ? req : req.send(body);
};

/** POST /api/v1/tokens/{id}/rotate. */
export const rotate = (t: TestApp, caller: Caller, id: string, body: object = {}): Test =>
  t.http().post(`/api/v1/tokens/${id}/rotate`).set(caller).send(body);

/** POST /api/v1/tokens/bulk-revoke. */
export const bulkRevoke = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().post('/api/v1/tokens/bulk-revoke').set(caller).send(body);

/** GET /api/v1/members. */
export const listMembers = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/api/v1/members').query(query).set(caller);

/** POST /api/v1/members with the body as given. */
export const postMember = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().post('/api/v1/members').set(caller).send(body);

/** PATCH /api/v1/members/{identity_id}. */
export const patchMember = (t: TestApp, caller: Caller, identityId: string, body: object): Test =>
  t.http().patch(`/api/v1/members/${identityId}`).set(caller).send(body);

/** DELETE /api/v1/members/{identity_id}. */
export const removeMember = (t: TestApp, caller: Caller, identityId: string): Test =>
  t.http().delete(`/api/v1/members/${identityId}`).set(caller);

/** POST /api/v1/members/{identity_id}/token: re-issues a member's first token. */
export const reissueFirstToken = (t: TestApp, caller: Caller, identityId: string): Test =>
  t.http().post(`/api/v1/members/${identityId}/token`).set(caller).send({});

/** GET /api/v1/machine-identities. */
export const listMachines = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/api/v1/machine-identities').query(query).set(caller);

/** POST /api/v1/machine-identities with the body as given. */
export const postMachine = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().post('/api/v1/machine-identities').set(caller).send(body);

/** DELETE /api/v1/machine-identities/{identity_id}. */
export const deleteMachine = (t: TestApp, caller: Caller, identityId: string): Test =>
  t.http().delete(`/api/v1/machine-identities/${identityId}`).set(caller);

/** POST /platform/v1/businesses/{id}/suspend, as the platform admin. */
export const suspend = (t: TestApp, businessId: string): Test =>
  t.http().post(`/platform/v1/businesses/${businessId}/suspend`).set(asPlatform(t));

/** POST /platform/v1/businesses/{id}/resume, as the platform admin. */
export const resume = (t: TestApp, businessId: string): Test =>
  t.http().post(`/platform/v1/businesses/${businessId}/resume`).set(asPlatform(t));

/** GET /platform/v1/tokens. */
export const listPlatformTokens = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/platform/v1/tokens').query(query).set(caller);

/** POST /platform/v1/tokens/{id}/revoke: revoke by id across businesses, as a platform admin. */
export const platformRevoke = (t: TestApp, caller: Caller, id: string, body?: object): Test => {
  const req = t.http().post(`/platform/v1/tokens/${id}/revoke`).set(caller);
  return body === undefined ? req : req.send(body);
};

/** POST /platform/v1/businesses with the body as given. */
export const postBusiness = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().post('/platform/v1/businesses').set(caller).send(body);

/** GET /platform/v1/businesses. */
export const listBusinesses = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/platform/v1/businesses').query(query).set(caller);

/** GET /platform/v1/admins. */
export const listPlatformAdmins = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/platform/v1/admins').query(query).set(caller);

/** POST /platform/v1/admins with the body as given. */
export const postPlatformAdmin = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().post('/platform/v1/admins').set(caller).send(body);

/** DELETE /platform/v1/admins/{identity_id}. */
export const removePlatformAdmin = (t: TestApp, caller: Caller, identityId: string): Test =>
  t.http().delete(`/platform/v1/admins/${identityId}`).set(caller);

/** GET /api/v1/audit-events. */
export const listAuditEvents = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/api/v1/audit-events').query(query).set(caller);
