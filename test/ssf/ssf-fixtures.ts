import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import type { BusinessFixture } from '../factories/tenancy.factory';
import { asBearer, type Caller } from '../harness/app/api';
import type { TestApp } from '../harness/app/test-app';
import type { Received } from '../harness/app/webhook-receiver';

export const STREAMS = '/ssf/v1/streams';
export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
export const ISSUER = 'https://latchkey.example.com';

/** The env of an app whose streams push to a receiver on loopback, retried quickly. */
export const SSF_ENV = {
  PUBLIC_BASE_URL: ISSUER,
  WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms',
  WEBHOOK_POLL_MS: '50',
};

/** The business owner's first token alone, as a standard receiver sends it: no x-business-id. */
export const receiverOf = (biz: BusinessFixture): Caller => asBearer(biz.ownerToken);

/** Creates a stream of `biz` pushing to `url`, as its owner (201 asserted); answers its config. */
export async function createStream(
  t: TestApp,
  biz: BusinessFixture,
  url: string,
  extra: Record<string, unknown> = {},
): Promise<{ stream_id: string; aud: string; [field: string]: unknown }> {
  const res = await t
    .http()
    .post(STREAMS)
    .set(receiverOf(biz))
    .send({
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: url },
      events_requested: [CREDENTIAL_CHANGE],
      ...extra,
    });
  expect({ status: res.status, body: res.status === 201 ? null : res.body }).toEqual({
    status: 201,
    body: null,
  });
  return res.body;
}

export interface VerifiedSet {
  header: Record<string, unknown>;
  claims: {
    iss: string;
    aud: string;
    jti: string;
    iat: number;
    txn?: string;
    sub_id: Record<string, unknown>;
    events: Record<string, Record<string, unknown>>;
  };
}

/**
 * A pushed SET checked as a receiver checks it: its media type, then its signature with `jose`
 * against the installation's JWKS, its `typ`, issuer and audience.
 */
export async function verifiedSet(
  t: TestApp,
  received: Received,
  audience: string,
): Promise<VerifiedSet> {
  expect(received.headers['content-type']).toBe('application/secevent+jwt');
  const keys = await t.http().get('/.well-known/jwks.json').expect(200);
  const jwks = createLocalJWKSet(keys.body as JSONWebKeySet);
  const { payload } = await jwtVerify(received.body, jwks, {
    issuer: ISSUER,
    audience,
    typ: 'secevent+jwt',
  });
  return {
    header: decodeProtectedHeader(received.body),
    claims: payload as unknown as VerifiedSet['claims'],
  };
}

/** The token a SET is about: the `token` member of its complex subject. */
export const subjectToken = (set: VerifiedSet) =>
  (set.claims.sub_id.token as { id: string } | undefined)?.id;

/** The credential change a SET carries. */
export const changeOf = (set: VerifiedSet) => set.claims.events[CREDENTIAL_CHANGE];
