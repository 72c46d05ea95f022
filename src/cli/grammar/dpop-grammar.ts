import { CliUsageError, noExtraArguments } from './cli-argv';
import { required } from './cli-parsers';
import type { CommandSpec } from './cli-spec';

/**
 * The grammar of `dpop …`: a client's key pair for tokens bound to a key (RFC 9449). Offline, as
 * `audit …` is: no config, no core, no database, so a client's machine with no installation runs
 * it. Part of the CLI's one grammar (cli-grammar.ts lists it).
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

export const DPOP = {
  name: 'dpop',
  description: 'Key pairs for tokens bound to a key (RFC 9449, DPoP)',
  subcommands: [DPOP_KEYGEN],
  offline: true,
} satisfies CommandSpec;
