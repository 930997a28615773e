// Test support: the shipped hub.conf running for one test, with an accounts file rendered by
// renderAccountsFile for the edges the test makes (what `calle fleet nats-accounts` does in
// production), secrets generated per test, and the monitoring port and store left to the
// launcher (a free port, a temp dir). Not a test file (ava only runs *.test.ts).
import { createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { ExecutionContext } from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { edgeInboxPrefix } from '../../../proto/nats-subjects.js';
import { renderAccountsFile } from '../accounts-file.js';
import { LocalNatsServer } from '../local-server.js';
import { newNatsPassword } from '../nats-password.js';

export const NATS_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface RunningHub {
  readonly nats: LocalNatsServer;
  readonly coordinatorPassword: string;
  /** Each edge's nkey pair, by edge id. */
  readonly edges: ReadonlyMap<string, KeyPair>;
}

/**
 * hub.conf as shipped, minus what the launcher's flags own, including `accountsFile` (a name
 * beside the written config: nats-server resolves includes relative to the including file).
 */
export function hubConfFor(accountsFile: string): string {
  return readFileSync(join(NATS_DIR, 'hub.conf'), 'utf8')
    .replace(/^http: .*$/m, '')
    .replace(/^\s*store_dir: .*$/m, '')
    .replace('include ./accounts.example.conf', `include ./${accountsFile}`);
}

export async function startHub(
  t: ExecutionContext,
  dir: string,
  edgeIds: readonly string[],
): Promise<RunningHub> {
  const edges = new Map(edgeIds.map((id) => [id, createUser()] as const));
  writeFileSync(
    join(dir, 'accounts.conf'),
    renderAccountsFile([...edges].map(([edgeId, kp]) => ({ edgeId, nkey: kp.getPublicKey() }))),
  );
  writeFileSync(join(dir, 'hub.conf'), hubConfFor('accounts.conf'));
  const coordinatorPassword = newNatsPassword();
  const nats = await LocalNatsServer.start({
    configFile: join(dir, 'hub.conf'),
    storeDir: join(dir, 'js'),
    env: {
      CALLE_COORDINATOR_PASSWORD: coordinatorPassword,
      CALLE_SYS_PASSWORD: newNatsPassword(),
    },
  });
  t.teardown(async () => nats.close());
  return { nats, coordinatorPassword, edges };
}

/** A connection as the edge makes it (its nkey, its own inbox prefix), closed when the test ends. */
export async function connectEdge(
  t: ExecutionContext,
  hub: RunningHub,
  edgeId: string,
  options: { readonly inboxPrefix?: string | undefined } = {},
): Promise<NatsConnection> {
  const kp = hub.edges.get(edgeId);
  if (!kp) throw new Error(`no edge ${edgeId} in this hub`);
  const nc = await connect({
    servers: hub.nats.url,
    name: edgeId,
    authenticator: nkeyAuthenticator(kp.getSeed()),
    inboxPrefix: 'inboxPrefix' in options ? options.inboxPrefix : edgeInboxPrefix(edgeId),
  });
  t.teardown(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return nc;
}
