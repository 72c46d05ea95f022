import {
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { note, printJson, printLine, readSecret } from '../cli-io';
import { CliUsageError, namesPastedSecret, SECRET_IN_ARGV } from '../grammar/cli-argv';
import {
  DPOP,
  DPOP_KEYGEN,
  DPOP_PROOF,
  DpopAlg,
  DpopKeygenOptions,
  DpopProofOptions,
} from '../grammar/dpop-grammar';

/**
 * `dpop keygen`: the key pair a client binds its tokens to. Offline: it runs in the same context
 * as `audit …` (`OfflineCliModule`), and writes no audit event, since it changes no data; the
 * server learns of the key only through `dpop_jkt` on a token made for it.
 */
@CliCommand(DPOP_KEYGEN)
export class DpopKeygenCommand extends CliRunner {
  async run(params: string[], options: DpopKeygenOptions): Promise<void> {
    const { alg, out } = DPOP_KEYGEN.argv(params, options);
    // Loaded here, so that `audit …`, in the same context, never loads it.
    const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(publicKey);
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const file = resolve(out);
    // `alg` in the file, so whoever imports it (jose's importJWK) signs proofs as it was made.
    const secret = `${JSON.stringify({ ...(await exportJWK(privateKey)), alg }, null, 2)}\n`;
    try {
      // O_EXCL: never over an existing file (a key some token is bound to), nor through a link.
      await writeFile(file, secret, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new CliUsageError(
        code === 'EEXIST'
          ? `Refusing to overwrite ${file}: it exists (a token may be bound to its key); give --out a new file`
          : `Cannot write --out ${file} (${code})`,
        2,
      );
    }
    printJson({ file, alg, jwk, jkt });
    note(
      `Keep ${file} private: whoever holds it can use the tokens bound to it. Bind a token to ` +
        'it with tokens create --dpop-jkt <jkt> (or dpop_jkt in POST /api/v1/tokens).',
    );
  }
}

/** Far more than any key: a P-256 or Ed25519 JWK is about 250 bytes. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** The kinds of key keygen makes, by `kty` and `crv`, and the public members a proof carries. */
const KINDS: { kty: string; crv: string; alg: DpopAlg; members: string[] }[] = [
  { kty: 'EC', crv: 'P-256', alg: 'ES256', members: ['crv', 'kty', 'x', 'y'] },
  { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', members: ['crv', 'kty', 'x'] },
];

interface SigningKey {
  alg: DpopAlg;
  privateKey: KeyObject;
  /** The public half alone (RFC 7638's members), as the proof's `jwk` header carries it. */
  jwk: { kty: string; [member: string]: string };
}

/**
 * `dpop proof`: one proof (RFC 9449 §4.2) for one request, alone on stdout, for a client that
 * has no code of its own (`curl -H "DPoP: $(… dpop proof …)"`). Offline, as keygen is. The token
 * is read as every command reads a secret and leaves this process only as its hash (`ath`).
 */
@CliCommand(DPOP_PROOF)
export class DpopProofCommand extends CliRunner {
  async run(params: string[], options: DpopProofOptions): Promise<void> {
    const { key, htm, htu, source, nonce } = DPOP_PROOF.argv(params, options);
    // The key first: a file that is no key is refused before a secret is read.
    const signer = await signingKeyIn(key);
    const token = source === null ? null : await readSecret(source);
    const { SignJWT } = await import('jose');
    const proof = await new SignJWT({
      jti: randomUUID(),
      htm,
      htu,
      iat: Math.floor(Date.now() / 1000),
      ...(token === null ? {} : { ath: createHash('sha256').update(token).digest('base64url') }),
      ...(nonce === null ? {} : { nonce }),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: signer.alg, jwk: signer.jwk })
      .sign(signer.privateKey);
    printLine(proof);
  }
}

/**
 * The private key in `file`, as keygen writes it: a private EC P-256 or Ed25519 JWK, whose `alg`
 * (when given) is its kind's, and whose public half is its private key's, so that the proof's
 * `jwk` verifies what it signs. Anything else is refused with exit 2, as a file error is, and
 * nothing of its text is repeated (it may be a secret, given here by mistake).
 */
async function signingKeyIn(file: string): Promise<SigningKey> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new CliUsageError(`Cannot read --key ${file} (not a file)`, 2);
    if (info.size > MAX_KEY_FILE_BYTES) return notAKey(file, 'it is far longer than a key');
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof CliUsageError) throw e;
    if (namesPastedSecret(file)) throw new CliUsageError(SECRET_IN_ARGV, 2);
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CliUsageError(`Cannot read --key ${file} (${code})`, 2);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return notAKey(file, 'it is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return notAKey(file, 'it is not a JSON object');
  }
  const jwk = parsed as Record<string, unknown>;
  const kind = KINDS.find((k) => jwk.kty === k.kty && jwk.crv === k.crv);
  if (!kind) return notAKey(file, 'its kty and crv are neither EC P-256 nor OKP Ed25519');
  if (typeof jwk.d !== 'string') {
    return notAKey(file, 'it holds no private key (d): give the file keygen wrote, not its jwk');
  }
  if (jwk.alg !== undefined && jwk.alg !== kind.alg) {
    return notAKey(file, `its alg is not ${kind.alg}, the algorithm of its key`);
  }
  const pub: Record<string, string> = {};
  for (const member of kind.members) {
    if (typeof jwk[member] !== 'string') return notAKey(file, `its ${member} is missing`);
    pub[member] = jwk[member];
  }
  try {
    const privateKey = createPrivateKey({ key: { ...pub, d: jwk.d }, format: 'jwk' });
    // Node takes an EC key's x and y as written, unchecked: a file whose public half is another
    // key's would sign proofs that no server verifies. So the halves must verify each other.
    const publicKey = createPublicKey({ key: pub, format: 'jwk' });
    const digest = kind.alg === 'EdDSA' ? null : 'sha256';
    const probe = Buffer.from('latchkey dpop key check');
    if (!verify(digest, probe, publicKey, sign(digest, probe, privateKey))) {
      return notAKey(file, 'its public half (x, y) does not match its private key (d)');
    }
    return { alg: kind.alg, privateKey, jwk: { ...pub, kty: kind.kty } };
  } catch (e) {
    if (e instanceof CliUsageError) throw e;
    return notAKey(file, 'its key does not import');
  }
}

const notAKey = (file: string, why: string): never => {
  throw new CliUsageError(
    `--key ${file} is not a private EC P-256 or Ed25519 JWK, as dpop keygen writes: ${why}`,
    2,
  );
};

@CliCommand(DPOP)
export class DpopCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const DPOP_COMMANDS = [DpopCommand, DpopKeygenCommand, DpopProofCommand];
