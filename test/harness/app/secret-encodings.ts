/**
 * The encodings a Latchkey token takes on its way into text without anyone meaning it to, as
 * rows for `it.each`: what the secret checks look through (docs/security.md, "Secrets in text").
 * Each row names the form and writes a secret in it.
 */

const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(2, '0');
const percent = (s: string) => [...s].map((c) => `%${hex(c).toUpperCase()}`).join('');
const b64 = (s: string) => Buffer.from(s).toString('base64');

export type Encoding = [name: string, encode: (secret: string) => string];

export const SECRET_ENCODINGS: Encoding[] = [
  ['as written', (s) => s],
  ['percent-encoded', percent],
  ['percent-encoded twice', (s) => percent(s).replaceAll('%', '%25')],
  ['only its _ percent-encoded', (s) => s.replace('_', '%5F')],
  ['\\u-escaped (JSON)', (s) => [...s].map((c) => `\\u00${hex(c)}`).join('')],
  ['\\u-escaped, inside JSON', (s) => JSON.stringify([...s].map((c) => `\\u00${hex(c)}`).join(''))],
  ['base64', b64],
  ['base64url, unpadded', (s) => Buffer.from(s).toString('base64url')],
  ['in a Basic header', (s) => `Basic ${b64(`deploy:${s}`)}`],
  [
    'in a JWT payload',
    (s) => `eyJhbGciOiJub25lIn0.${Buffer.from(`{"sub":"${s}"}`).toString('base64url')}.`,
  ],
  // A run that starts with another word's characters: decoded from its start, it is noise.
  ['base64 run on from other characters', (s) => `v1-${b64(s)}`],
  ['base64 of it percent-encoded', (s) => b64(percent(s))],
  ['base64, percent-encoded', (s) => encodeURIComponent(b64(s))],
];

/** Forms left out on purpose (docs/security.md): each is written by someone who means it. */
export const FORMS_NOT_LOOKED_FOR: Encoding[] = [
  ['split by a separator', (s) => `${s.slice(0, 20)}-${s.slice(20)}`],
  ['split across lines', (s) => `${s.slice(0, 20)}\n${s.slice(20)}`],
  ['hex-encoded', (s) => Buffer.from(s).toString('hex')],
];

export { b64, percent };
