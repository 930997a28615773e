// `calle fleet`: the operator's side of enrolment (cloud/enrolment), run on the coordinator host.
//   token --edge ID --district D [--ttl 24h] [--out SEEDFILE] [--new-nkey]
//   pending | list | approve ID | revoke ID | nats-accounts --out FILE        (all take --db FILE)
//
// It works on the coordinator's database file, not through its HTTP API. The API has no
// authentication yet (anyone who reaches it could approve an edge), while the database file is
// readable only by the coordinator's user: file permissions on the coordinator host are exactly
// the authority approving an edge should need. It also works while the coordinator is stopped
// (provisioning a batch of cabinets before the first start). SQLite in WAL mode lets this
// process write while the coordinator runs, and the coordinator reads enrolment state on every
// rpc, so an approval takes effect at the edge's next Register. When the registry moves to a
// replicated store, these commands move to an authenticated API.
import { createUser } from '@nats-io/nkeys';
import Database from 'better-sqlite3';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EnrolmentStore, type EdgeIdentityRow } from '../cloud/enrolment/enrolment-store.js';
import { DEFAULT_TOKEN_TTL_MS, parseTtl } from '../cloud/enrolment/enrolment-token.js';
import { CoordinatorError } from '../cloud/errors.js';
import { migrate } from '../cloud/store/migrations.js';
import { renderAccountsFile } from '../deploy/nats/accounts-file.js';
import { keyIdOfRaw } from '../edge/identity/edge-identity.js';
import { EDGE_ID_PATTERN } from '../proto/nats-subjects.js';

export const FLEET_USAGE = `Usage (on the coordinator host; --db defaults to ./calle-cloud.db, calle cloud's --db):
  calle fleet token --edge ID --district D [--ttl 24h] [--out SEEDFILE] [--new-nkey]
      Creates a one-time enrolment token bound to edge ID (shown once; valid --ttl, at most 30d)
      and, the first time (or with --new-nkey), the edge's NATS nkey user: its seed is written to
      SEEDFILE (mode 0600) or printed once. Both go to the cabinet's /etc/calle.
  calle fleet pending | list
      Edges waiting for approval (with the key id the edge logs at start) | every edge.
  calle fleet approve ID | revoke ID
      Lets a pending edge in | shuts an edge out (and voids its unused tokens).
  calle fleet nats-accounts --out FILE
      Renders the NATS accounts file (hub.conf includes it) from the registry: one nkey user per
      edge that is not revoked. Reload nats-server afterwards (nats-server --signal reload).`;

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CommandIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

class Failure extends Error {}

function openStore(file: string): { store: EnrolmentStore; close(): void } {
  let db: Database.Database;
  try {
    // fileMustExist: a mistyped --db must not create an empty registry and enrol into it.
    db = new Database(file, { fileMustExist: true });
  } catch (err) {
    throw new Failure(
      `--db ${file}: ${(err as Error).message} (start calle cloud once to create it, or pass --db)`,
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // The coordinator writes to the same file; wait for its transactions rather than fail.
    db.pragma('busy_timeout = 5000');
    migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  return { store: new EnrolmentStore(db), close: () => db.close() };
}

function writeSecret(file: string, text: string): void {
  try {
    // 'wx': never overwrite a seed a cabinet may already hold.
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    throw new Failure(
      `--out ${file}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'already exists; refusing to overwrite' : (err as Error).message}`,
    );
  }
  chmodSync(file, 0o600);
}

function describe(r: EdgeIdentityRow): string {
  const key = r.publicKey ? `key ${keyIdOfRaw(r.publicKey)}` : 'no key yet';
  const since = r.approvedMs ?? r.enrolledMs ?? r.createdMs;
  return `${r.edgeId}  ${r.state}  district ${r.district}  ${key}  nats ${r.natsNkey ?? '-'}  since ${new Date(since).toISOString()}`;
}

/** Runs `calle fleet …`; returns the process exit code. */
export function runFleetCommand(
  args: string[],
  io: CommandIo = consoleIo,
  now: () => number = Date.now,
): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        db: { type: 'string', default: './calle-cloud.db' },
        edge: { type: 'string' },
        district: { type: 'string' },
        ttl: { type: 'string' },
        out: { type: 'string' },
        'new-nkey': { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    io.err(`calle fleet: ${(err as Error).message}`);
    io.err(FLEET_USAGE);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [sub, ...rest] = positionals;
  const usage = (why: string): number => {
    io.err(`calle fleet: ${why}`);
    io.err(FLEET_USAGE);
    return 2;
  };
  if (sub === undefined) return usage('which command?');
  if (!['token', 'pending', 'list', 'approve', 'revoke', 'nats-accounts'].includes(sub))
    return usage(`unknown command '${sub}'`);
  const needsId = sub === 'approve' || sub === 'revoke';
  if (rest.length !== (needsId ? 1 : 0))
    return usage(needsId ? `${sub} takes one edge id` : `${sub} takes no arguments`);
  if (sub === 'token' && (!v.edge || !v.district)) return usage('token needs --edge ID and --district D');
  if (sub === 'nats-accounts' && !v.out) return usage('nats-accounts needs --out FILE');
  const edgeId = needsId ? rest[0]! : v.edge;
  if (edgeId !== undefined && !EDGE_ID_PATTERN.test(edgeId))
    return usage(`edge id '${edgeId}' is invalid: it must match ${String(EDGE_ID_PATTERN)}`);

  let opened: ReturnType<typeof openStore> | undefined;
  try {
    let ttlMs = DEFAULT_TOKEN_TTL_MS;
    try {
      if (v.ttl !== undefined) ttlMs = parseTtl('--ttl', v.ttl);
    } catch (err) {
      throw new Failure((err as Error).message);
    }
    opened = openStore(v.db);
    const { store } = opened;
    switch (sub) {
      case 'token': {
        const id = edgeId!;
        const existing = store.get(id);
        const nkey = !existing?.natsNkey || v['new-nkey'] ? createUser() : undefined;
        const seed = nkey ? new TextDecoder().decode(nkey.getSeed()) : undefined;
        // The seed file is written before the registry changes: a failure leaves nothing half-made.
        if (seed && v.out) writeSecret(v.out, `${seed}\n`);
        const issued = store.issueToken({
          edgeId: id,
          district: v.district!,
          ttlMs,
          nowMs: now(),
          ...(nkey ? { natsNkey: nkey.getPublicKey() } : {}),
        });
        io.out(
          `enrolment token for ${id} (one use, expires ${new Date(issued.expiresMs).toISOString()}; shown only now):`,
        );
        io.out(issued.token);
        io.out(
          `  on the cabinet: coordinator.enrolmentToken in /etc/calle/site.json, or calle edge --enrolment-token`,
        );
        if (nkey) {
          io.out(`NATS user ${nkey.getPublicKey()}`);
          if (v.out) io.out(`  seed written to ${v.out} (0600); copy it to the cabinet as nats.nkeySeedFile`);
          else io.out(`  seed (shown only now; save it 0600 as the cabinet's nats.nkeySeedFile): ${seed}`);
          io.out(
            '  then: calle fleet nats-accounts --out <the accounts file hub.conf includes>, and reload nats-server',
          );
        } else io.out(`NATS user unchanged: ${existing!.natsNkey} (--new-nkey makes a new one)`);
        return 0;
      }
      case 'pending':
      case 'list': {
        const rows = store.list().filter((r) => sub === 'list' || r.state === 'pending');
        if (rows.length === 0) io.out(sub === 'pending' ? 'no edge is waiting for approval' : 'no edges');
        for (const r of rows) io.out(describe(r));
        return 0;
      }
      case 'approve': {
        const r = store.approve(edgeId!, now());
        io.out(`approved: ${describe(r)}`);
        return 0;
      }
      case 'revoke': {
        const r = store.revoke(edgeId!, now());
        io.out(`revoked: ${describe(r)}`);
        io.out(
          '  re-render the NATS accounts file (calle fleet nats-accounts) and reload nats-server to cut its data plane too',
        );
        return 0;
      }
      default: {
        const text = renderAccountsFile(store.natsUsers());
        // Written beside the target and renamed: nats-server never reads a half-written file.
        const tmp = `${v.out!}.tmp-${process.pid}`;
        // No secrets in it (passwords are $VARIABLES), and nats-server runs as its own user.
        writeFileSync(tmp, text, { mode: 0o644 });
        renameSync(tmp, v.out!);
        io.out(`${v.out!}: ${store.natsUsers().length} edge users`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof Failure || err instanceof CoordinatorError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  } finally {
    opened?.close();
  }
}
