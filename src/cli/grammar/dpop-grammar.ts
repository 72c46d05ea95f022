import {
  CliUsageError,
  namesSecretSource,
  noExtraArguments,
  SecretOptions,
  secretSource,
} from './cli-argv';
import { required } from './cli-parsers';
import type { CommandSpec } from './cli-spec';

/**
 * The grammar of `dpop …`: a client's key pair for tokens bound to a key (RFC 9449), and proofs
 * signed by it. Offline, as `audit …` is: no config, no core, no database, so a client's machine
 * with no installation runs it. Part of the CLI's one grammar (cli-grammar.ts lists it).
 */

/**
 * The algorithms offered: ES256 (P-256), which every DPoP server takes, and EdDSA (Ed25519), the
 * shortest proofs. The server takes more (docs/api.md); a client that needs RSA makes its own key.
 */
export const DPOP_ALGS = ['ES256', 'EdDSA'] as const;
export type DpopAlg = (typeof DPOP_ALGS)[number];

export interface DpopKeygenOptions {
  alg?: string;
  out?: string;
}

export const DPOP_KEYGEN = {
  name: 'keygen',
  description:
    'Make a key pair for DPoP-bound tokens: write the private key as a JWK to --out (mode 0600, ' +
    'never over a file already there) and print {file, alg, jwk, jkt}: the public JWK and its ' +
    'thumbprint, for tokens create --dpop-jkt; never the private key',
  options: [
    { flags: '--alg <alg>', description: `${DPOP_ALGS.join(' or ')} (default ${DPOP_ALGS[0]})` },
    required('--out <file>', 'where the private key goes, a file that does not exist yet'),
  ],
  argv: (params: string[], options: DpopKeygenOptions): { alg: DpopAlg; out: string } => {
    noExtraArguments(params, 0);
    const alg = options.alg ?? DPOP_ALGS[0];
    // Names are case-sensitive in JOSE (RFC 7518 §3.1), so es256 is refused, not guessed at.
    if (!(DPOP_ALGS as readonly string[]).includes(alg)) {
      throw new CliUsageError(`Invalid options:\n  alg: must be ${DPOP_ALGS.join(' or ')}`);
    }
    if (!options.out) throw new CliUsageError('Invalid options:\n  out: must be a file path');
    return { alg: alg as DpopAlg, out: options.out };
  },
} satisfies CommandSpec;

export interface DpopProofOptions extends SecretOptions {
  key?: string;
  method?: string;
  url?: string;
  nonce?: string;
}

/** What `dpop proof` signs: the request it names, the token's source (null: no `ath`), a nonce. */
export interface DpopProofRequest {
  key: string;
  htm: string;
  htu: string;
  source: string | null;
  nonce: string | null;
}

/** RFC 9110 §5.6.2's `token`: what a method may be spelled with. */
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9449 §8.1's `NQCHAR`: a nonce is one or more printable ASCII, no `"` and no `\`. */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const invalid = (field: string, rule: string) =>
  new CliUsageError(`Invalid options:\n  ${field}: ${rule}`);

/**
 * The `htu` of a request to `url` (RFC 9449 §4.2): its scheme, host and path, without query and
 * fragment. Only an absolute http(s) URL with no credentials, the only kind the server matches.
 */
function htuOf(url: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // Refused below, as a URL of another scheme is.
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw invalid('url', 'must be an absolute http(s) URL, such as https://api.example.com/v1/me');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalid('url', 'must carry no user name or password');
  }
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * `dpop proof`: one proof for one request, for a client with no code of its own (curl). The token
 * goes in `ath`, so it is read as every command reads a secret (`--token-file`, `-` for stdin),
 * never from argv; with neither, the proof has no `ath`, as a token request's (RFC 9449 §5).
 */
export const DPOP_PROOF = {
  name: 'proof',
  description:
    'Print one DPoP proof (a compact JWT) for one request: --method and --url name it, signed by ' +
    'the private JWK in --key (as dpop keygen writes it), with ath for the token in --token-file ' +
    '("-" for stdin; never in argv; none for /oauth2/token) and the server\'s --nonce when it asks',
  options: [
    required('--key <file>', 'the private JWK file dpop keygen wrote'),
    required('--method <method>', "the request's method, as it is sent (GET, POST, …)"),
    required(
      '--url <url>',
      "the request's absolute http(s) URL; its query and fragment are left out",
    ),
    {
      flags: '--token-file <path>',
      description: 'the token the request carries, for ath: read from this file ("-" for stdin)',
    },
    {
      flags: '--token <value>',
      description: 'only "-": the same as --token-file - (a secret here is refused)',
    },
    { flags: '--nonce <nonce>', description: 'the nonce the server gave in DPoP-Nonce' },
  ],
  argv: (params: string[], options: DpopProofOptions): DpopProofRequest => {
    noExtraArguments(params, 0);
    // Before anything else: a secret pasted in place of the path is refused, and not repeated.
    const source = namesSecretSource(options) ? secretSource(options) : null;
    if (!options.key) throw invalid('key', 'must be a file path');
    if (!options.method || !METHOD.test(options.method)) {
      throw invalid('method', 'must be an HTTP method, as the request sends it (GET, POST, …)');
    }
    const htu = htuOf(options.url ?? '');
    if (options.nonce !== undefined && !NONCE.test(options.nonce)) {
      throw invalid('nonce', 'must be the DPoP-Nonce the server gave (printable ASCII, no quotes)');
    }
    return { key: options.key, htm: options.method, htu, source, nonce: options.nonce ?? null };
  },
} satisfies CommandSpec;

export const DPOP = {
  name: 'dpop',
  description: 'Key pairs and proofs for tokens bound to a key (RFC 9449, DPoP)',
  subcommands: [DPOP_KEYGEN, DPOP_PROOF],
  offline: true,
} satisfies CommandSpec;
