// `calle keys`: the coordinator's policy signing key, created once and then only ever read.
//   calle keys init --out DIR   writes DIR/policy-signing.key (0600) and DIR/policy-signing.pub
//   calle keys id FILE          prints the key id of a public or private key file
// The key id is what edges report when they refuse a bundle signed by another key, so an operator
// compares it with `calle keys id` on the file the cabinet pins.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { keyIdOf } from '../../common/signing/policy-signature.js';
import { initKeyPair, SigningKeyError } from './signing-key.js';

export const KEYS_USAGE = `Usage:
  calle keys init --out DIR
      Creates the coordinator's Ed25519 policy signing key: DIR/policy-signing.key (mode 0600,
      stays on the coordinator; give it to calle cloud --signing-key) and DIR/policy-signing.pub
      (copy to every edge; its trust.coordinatorKey). Never overwrites an existing key.
  calle keys id FILE
      Prints the key id of a public or private key file.`;

export interface KeysIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: KeysIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs `calle keys …`; resolves to the process exit code. */
export function runKeysCommand(args: string[], io: KeysIo = consoleIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  } catch (err) {
    io.err(`calle keys: ${(err as Error).message}`);
    io.err(KEYS_USAGE);
    return 2;
  }
  const [sub, ...rest] = parsed.positionals;
  if (sub === 'init' && parsed.values.out !== undefined && rest.length === 0) {
    try {
      const files = initKeyPair(parsed.values.out);
      io.out(`key id ${files.keyId}`);
      io.out(
        `private key: ${files.privateFile}   (mode 0600; keep it on the coordinator, back it up offline)`,
      );
      io.out(`public key:  ${files.publicFile}   (pin it on every edge: trust.coordinatorKey)`);
      return 0;
    } catch (err) {
      if (!(err instanceof SigningKeyError)) throw err;
      io.err(err.message);
      return 1;
    }
  }
  if (sub === 'id' && rest.length === 1 && parsed.values.out === undefined) {
    const file = rest[0]!;
    try {
      const pem = readFileSync(file, 'utf8');
      const key: KeyObject = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') {
        io.err(`${file}: an ${key.asymmetricKeyType ?? 'unknown'} key; calle signs with Ed25519`);
        return 1;
      }
      io.out(keyIdOf(key));
      return 0;
    } catch (err) {
      io.err(`${file}: ${(err as Error).message}`);
      return 1;
    }
  }
  io.err(sub === undefined ? 'calle keys: which command?' : `calle keys: cannot run '${args.join(' ')}'`);
  io.err(KEYS_USAGE);
  return 2;
}
