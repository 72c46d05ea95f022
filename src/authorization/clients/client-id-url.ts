/**
 * The rules a client_id that is a URL keeps (draft-ietf-oauth-client-id-metadata-document §3):
 * https, a path, no dot segments, no fragment, no user information, and (a SHOULD NOT there, a
 * refusal here) no query, since a query makes one document many client ids. It must also be its
 * own canonical spelling: the document's `client_id` is compared to it as a string, so two
 * spellings of one URL would be two clients.
 */

/** The longest client_id URL, in UTF-8 bytes. */
export const CLIENT_ID_URL_MAX_BYTES = 512;

const DOT_SEGMENT = /\/(\.|%2e){1,2}(\/|$)/i;

/** Whether a client_id is meant as a metadata document's URL rather than a registered id. */
export const isUrlClientId = (clientId: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(clientId);

/**
 * Why a client_id URL is refused, or null. `allowHttp` lets plain `http:` through, for tests
 * that serve a document on the loopback (CLIENT_METADATA_ALLOW_HTTP).
 */
export function clientIdUrlProblem(clientId: string, allowHttp: boolean): string | null {
  if (Buffer.byteLength(clientId, 'utf8') > CLIENT_ID_URL_MAX_BYTES) {
    return `the client_id URL must be at most ${CLIENT_ID_URL_MAX_BYTES} bytes`;
  }
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'the client_id must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    return 'the client_id URL must use https';
  }
  if (url.username !== '' || url.password !== '') {
    return 'the client_id URL must not contain a user name or password';
  }
  if (clientId.includes('#')) return 'the client_id URL must not contain a fragment';
  if (clientId.includes('?')) return 'the client_id URL must not contain a query';
  if (DOT_SEGMENT.test(clientId)) return 'the client_id URL must not contain . or .. segments';
  if (url.pathname === '/' || url.pathname === '') return 'the client_id URL must have a path';
  if (url.href !== clientId) return `the client_id URL must be written as ${url.href}`;
  return null;
}
