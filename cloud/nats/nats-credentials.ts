// The coordinator's NATS credentials, from files named by flags (`calle cloud`, `calle fleet`):
//   --nats-user NAME --nats-password-file FILE   the hub's `coordinator` user (deploy/nats/accounts-file.ts)
//   --nats-creds FILE                            an nkey user seed (SU…) or a .creds file (JWT + seed)
// Secrets come from files, never from argv (every local user reads another process's argv with ps)
// nor from the URL (the NATS client ignores `user:password@` there, which left the documented
// deployments in an Authorization Violation loop: issue 13, finding 3). A file that group or others
// can read is refused, like the edge's seed and the policy signing key: whoever reads it owns the
// fleet's data plane. The secret itself never reaches a log line or an error message.
import {
  credsAuthenticator,
  nkeyAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
} from '@nats-io/transport-node';
import { readFileSync, statSync } from 'node:fs';

/** How the coordinator proves who it is to NATS; `who` is safe to log (no secret in it). */
export interface CoordinatorNatsAuth {
  readonly who: string;
  readonly authenticator: Authenticator;
}

/** A credentials flag that cannot be used; the message names the flag and the reason. */
export class NatsCredentialsError extends Error {
  override readonly name = 'NatsCredentialsError';
}

/** The flags, for node:util parseArgs (spread into a command's options). */
export const NATS_CREDENTIAL_FLAGS = {
  'nats-user': { type: 'string' },
  'nats-password-file': { type: 'string' },
  'nats-creds': { type: 'string' },
} as const;

export interface NatsCredentialFlagValues {
  readonly 'nats-user'?: string | undefined;
  readonly 'nats-password-file'?: string | undefined;
  readonly 'nats-creds'?: string | undefined;
}

/** Reads the files the flags name; undefined when no credentials flag is given. */
export function natsAuthFromFlags(values: NatsCredentialFlagValues): CoordinatorNatsAuth | undefined {
  const user = values['nats-user'];
  const passwordFile = values['nats-password-file'];
  const credsFile = values['nats-creds'];
  if (credsFile !== undefined && (user !== undefined || passwordFile !== undefined))
    throw new NatsCredentialsError(
      '--nats-creds: give either --nats-creds FILE or --nats-user NAME --nats-password-file FILE, not both',
    );
  if (credsFile !== undefined) return credsAuth(credsFile);
  if ((user === undefined) !== (passwordFile === undefined))
    throw new NatsCredentialsError(
      user === undefined
        ? '--nats-password-file: needs --nats-user NAME (the hub names the coordinator `coordinator`)'
        : '--nats-user: needs --nats-password-file FILE (the password is read from a file, never from the command line)',
    );
  if (user === undefined || passwordFile === undefined) return undefined;
  if (user.trim() === '' || /\s/.test(user))
    throw new NatsCredentialsError(`--nats-user: ${JSON.stringify(user)} is not a user name`);
  const password = readSecretFile('--nats-password-file', passwordFile).replace(/\r?\n$/, '');
  if (password === '') throw new NatsCredentialsError(`--nats-password-file ${passwordFile}: empty`);
  if (/[\r\n]/.test(password))
    throw new NatsCredentialsError(`--nats-password-file ${passwordFile}: holds more than one line`);
  return { who: `user ${user}`, authenticator: usernamePasswordAuthenticator(user, password) };
}

function credsAuth(file: string): CoordinatorNatsAuth {
  const text = readSecretFile('--nats-creds', file);
  if (text.includes('-----BEGIN NATS USER JWT-----')) {
    if (!/-----BEGIN USER NKEY SEED-----\s*SU[A-Z2-7]{56}\s/.test(text))
      throw new NatsCredentialsError(`--nats-creds ${file}: a .creds file without its user nkey seed`);
    return { who: `creds ${file}`, authenticator: credsAuthenticator(new TextEncoder().encode(text)) };
  }
  const seed = text.trim();
  if (!/^SU[A-Z2-7]{56}$/.test(seed))
    throw new NatsCredentialsError(`--nats-creds ${file}: neither an nkey user seed (SU…) nor a .creds file`);
  return { who: `nkey seed ${file}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) };
}

function readSecretFile(flag: string, file: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NatsCredentialsError(`${flag} ${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if ((mode & 0o077) !== 0)
    throw new NatsCredentialsError(
      `${flag} ${file}: permissions ${(mode & 0o777).toString(8)} let others read the secret; run chmod 600 ${file}`,
    );
  return text;
}
