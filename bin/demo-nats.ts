// The demo's NATS, run like production (issue 13, finding 8): the shipped hub.conf with an accounts
// file rendered by renderAccountsFile, the demo edge as an nkey user allowed only its own subjects
// and inbox, the coordinator with its password user, nobody anonymous. An open demo broker let a
// stranger store forged future sequence numbers (so the real readings counted as duplicates),
// invent edges, and answer the edge's commands before it did.
// The edge's seed and the coordinator's password are made once per state folder, 0600 in its
// keys/ folder (0700), and kept: a restarted demo keeps its identities, as a deployment would.
import { createUser, fromSeed } from '@nats-io/nkeys';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsAuthFromFlags, type CoordinatorNatsAuth } from '../cloud/nats/nats-credentials.js';
import { startLocalHub } from '../deploy/nats/local-hub.js';
import type { LocalNatsServer } from '../deploy/nats/local-server.js';
import { newNatsPassword } from '../deploy/nats/nats-password.js';

export interface DemoNats {
  readonly nats: LocalNatsServer;
  /** What `calle cloud --nats-user coordinator --nats-password-file FILE` would read. */
  readonly coordinatorAuth: CoordinatorNatsAuth;
  /** The demo edge's nkey seed file (its site's nats.nkeySeedFile). */
  readonly edgeSeedFile: string;
}

/** Writes `make()` to `file` (0600) unless it exists; returns the file's content. */
function keepSecret(file: string, make: () => string): string {
  if (!existsSync(file)) writeFileSync(file, `${make()}\n`, { flag: 'wx', mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function startDemoNats(stateDir: string, edgeId: string): Promise<DemoNats> {
  const keys = join(stateDir, 'keys');
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  const edgeSeedFile = join(keys, 'edge-nats.nk');
  const seed = keepSecret(edgeSeedFile, () => new TextDecoder().decode(createUser().getSeed()));
  const nkey = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  const passwordFile = join(keys, 'nats-coordinator.password');
  const coordinatorPassword = keepSecret(passwordFile, newNatsPassword);
  const configDir = join(stateDir, 'nats-config');
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const nats = await startLocalHub({
    configDir,
    storeDir: join(stateDir, 'nats'),
    edges: [{ edgeId, nkey }],
    coordinatorPassword,
  });
  // Read back through the same door as `calle cloud`: the same permission and format checks.
  const coordinatorAuth = natsAuthFromFlags({
    'nats-user': 'coordinator',
    'nats-password-file': passwordFile,
  })!;
  return { nats, coordinatorAuth, edgeSeedFile };
}
