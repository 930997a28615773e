// The shipped hub.conf run by LocalNatsServer on this machine: for `calle demo` and for tests, so
// both meet the production hub (accounts file rendered by renderAccountsFile, the coordinator's
// password user, one nkey user per edge, no anonymous access) rather than an open server.
// Only what the launcher's flags own is removed: the monitoring port (a fixed 8222 would collide
// between runs) and the store directory.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAccountsFile, type EdgeNatsUser } from './accounts-file.js';
import { LocalNatsServer } from './local-server.js';
import { newNatsPassword } from './nats-password.js';

/**
 * hub.conf beside this file (running from source), else at the package root's deploy/nats/
 * (running from dist/, where the build copies no .conf but the package ships deploy/nats/*.conf).
 */
const HUB_CONF = [
  new URL('hub.conf', import.meta.url),
  new URL('../../../deploy/nats/hub.conf', import.meta.url),
]
  .map((u) => fileURLToPath(u))
  .find((f) => existsSync(f));

/**
 * hub.conf as shipped, including `accountsFile` (a name beside the written config: nats-server
 * resolves includes relative to the including file) instead of the example accounts.
 */
export function localHubConf(accountsFile: string): string {
  if (!HUB_CONF) throw new Error('deploy/nats/hub.conf: not found beside local-hub or in the package');
  const text = readFileSync(HUB_CONF, 'utf8');
  const local = text
    .replace(/^http: .*$/m, '')
    .replace(/^\s*store_dir: .*$/m, '')
    .replace('include ./accounts.example.conf', `include ./${accountsFile}`);
  if (local === text || !local.includes(`include ./${accountsFile}`))
    throw new Error(`${HUB_CONF}: its shape changed; update deploy/nats/local-hub.ts`);
  return local;
}

export interface LocalHubOptions {
  /** Where hub.conf and accounts.conf are written (0600: no secret in them, but no need to share). */
  readonly configDir: string;
  /** JetStream store; kept across stop()/start(). */
  readonly storeDir: string;
  readonly edges: readonly EdgeNatsUser[];
  /** The coordinator user's password (NATS_PASSWORD_PATTERN); the SYS user gets a fresh one. */
  readonly coordinatorPassword: string;
}

export async function startLocalHub(options: LocalHubOptions): Promise<LocalNatsServer> {
  writeFileSync(join(options.configDir, 'accounts.conf'), renderAccountsFile(options.edges), { mode: 0o600 });
  writeFileSync(join(options.configDir, 'hub.conf'), localHubConf('accounts.conf'), { mode: 0o600 });
  return LocalNatsServer.start({
    configFile: join(options.configDir, 'hub.conf'),
    storeDir: options.storeDir,
    // Secrets reach nats-server as its $VARIABLES, as systemd's EnvironmentFile does in production.
    env: { CALLE_COORDINATOR_PASSWORD: options.coordinatorPassword, CALLE_SYS_PASSWORD: newNatsPassword() },
  });
}
