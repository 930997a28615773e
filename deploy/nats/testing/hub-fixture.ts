// Test support: the shipped hub.conf running for one test (deploy/nats/local-hub.ts), with an
// accounts file rendered for the edges the test names (what `calle fleet nats-accounts` does in
// production) and a coordinator password generated per test. Not a test file (ava only runs
// *.test.ts).
import { createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { edgeInboxPrefix } from '../../../proto/nats-subjects.js';
import { startLocalHub } from '../local-hub.js';
import type { LocalNatsServer } from '../local-server.js';
import { newNatsPassword } from '../nats-password.js';

export interface RunningHub {
  readonly nats: LocalNatsServer;
  readonly coordinatorPassword: string;
  /** Each edge's nkey pair, by edge id. */
  readonly edges: ReadonlyMap<string, KeyPair>;
}

export async function startHub(
  t: ExecutionContext,
  dir: string,
  edgeIds: readonly string[],
): Promise<RunningHub> {
  const edges = new Map(edgeIds.map((id) => [id, createUser()] as const));
  const coordinatorPassword = newNatsPassword();
  const nats = await startLocalHub({
    configDir: dir,
    storeDir: join(dir, 'js'),
    edges: [...edges].map(([edgeId, kp]) => ({ edgeId, nkey: kp.getPublicKey() })),
    coordinatorPassword,
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
