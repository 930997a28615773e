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
// rpc, so an approval takes effect at the edge's next Register.
//
// A replicated coordinator (calle cloud --replica-id) keeps enrolment in the NATS KV bucket
// calle_enrolment, and each replica's file holds only a copy: `--nats URL` makes these commands
// read and change the bucket directly (compare-and-set, the same rules), with the coordinator's
// NATS user (--nats-user coordinator --nats-password-file FILE, or --nats-creds FILE; cloud/nats)
// — whoever holds it could rewrite every bucket already, so it is the same authority. Chosen over forwarding the file's changes to KV from the
// replica: a decision is then made on the shared record, and a refusal (the edge was revoked on
// another replica meanwhile) reaches the operator instead of a log. The file of a replica is marked
// (EnrolmentStore.replicated) and writes through --db into it are refused; reading it is fine.
import { createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  EnrolmentStore,
  type EdgeIdentityRow,
  type IssuedToken,
} from '../cloud/enrolment/enrolment-store.js';
import { DEFAULT_TOKEN_TTL_MS, parseTtl } from '../cloud/enrolment/enrolment-token.js';
import { CoordinatorError } from '../cloud/errors.js';
import { coordinatorConnectionOptions } from '../cloud/nats/coordinator-nats.js';
import {
  NATS_CREDENTIAL_FLAGS,
  NatsCredentialsError,
  natsAuthFromFlags,
  type NatsCredentialFlagValues,
} from '../cloud/nats/nats-credentials.js';
import { EnrolmentBucket } from '../cloud/replication/enrolment-bucket.js';
import { migrate } from '../cloud/store/migrations.js';
import { renderAccountsFile } from '../deploy/nats/accounts-file.js';
import { keyIdOfRaw } from '../common/signing/edge-identity.js';
import { EDGE_ID_PATTERN } from '../proto/nats-subjects.js';

export const FLEET_USAGE = `Usage (on the coordinator host; --db defaults to ./calle-cloud.db, calle cloud's --db;
with replicated coordinators add --nats URL (repeatable) instead, with the coordinator's NATS user:
--nats-user NAME --nats-password-file FILE, or --nats-creds FILE):
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

/** The NATS user of a new token: made the first time, or again on --new-nkey. */
function newNkey(existing: EdgeIdentityRow | undefined, renew: boolean, out: string | undefined) {
  const nkey: KeyPair | undefined = !existing?.natsNkey || renew ? createUser() : undefined;
  const seed = nkey ? new TextDecoder().decode(nkey.getSeed()) : undefined;
  // The seed file is written before the registry changes: a failure leaves nothing half-made.
  if (seed && out) writeSecret(out, `${seed}\n`);
  return { nkey, seed, natsNkey: nkey ? { natsNkey: nkey.getPublicKey() } : {} };
}

function printToken(
  io: CommandIo,
  o: {
    id: string;
    issued: IssuedToken;
    made: ReturnType<typeof newNkey>;
    existing: EdgeIdentityRow | undefined;
    out: string | undefined;
  },
): void {
  const { nkey, seed } = o.made;
  io.out(
    `enrolment token for ${o.id} (one use, expires ${new Date(o.issued.expiresMs).toISOString()}; shown only now):`,
  );
  io.out(o.issued.token);
  io.out(
    `  on the cabinet: coordinator.enrolmentToken in /etc/calle/site.json, or calle edge --enrolment-token`,
  );
  if (nkey) {
    io.out(`NATS user ${nkey.getPublicKey()}`);
    if (o.out) io.out(`  seed written to ${o.out} (0600); copy it to the cabinet as nats.nkeySeedFile`);
    else io.out(`  seed (shown only now; save it 0600 as the cabinet's nats.nkeySeedFile): ${seed}`);
    io.out(
      '  then: calle fleet nats-accounts --out <the accounts file hub.conf includes>, and reload nats-server',
    );
  } else io.out(`NATS user unchanged: ${o.existing!.natsNkey} (--new-nkey makes a new one)`);
}

function printList(io: CommandIo, sub: string, all: EdgeIdentityRow[]): void {
  const rows = all.filter((r) => sub === 'list' || r.state === 'pending');
  if (rows.length === 0) io.out(sub === 'pending' ? 'no edge is waiting for approval' : 'no edges');
  for (const r of rows) io.out(describe(r));
}

function printRevoked(io: CommandIo, r: EdgeIdentityRow): void {
  io.out(`revoked: ${describe(r)}`);
  io.out(
    '  re-render the NATS accounts file (calle fleet nats-accounts) and reload nats-server to cut its data plane too',
  );
}

/** NATS users for the accounts file: every edge with an nkey that is not revoked. */
function natsUsersOf(rows: EdgeIdentityRow[]): { edgeId: string; nkey: string }[] {
  return rows
    .filter((r) => r.state !== 'revoked' && r.natsNkey !== null)
    .map((r) => ({ edgeId: r.edgeId, nkey: r.natsNkey! }));
}

function writeAccounts(io: CommandIo, file: string, users: { edgeId: string; nkey: string }[]): void {
  const text = renderAccountsFile(users);
  // Written beside the target and renamed: nats-server never reads a half-written file.
  const tmp = `${file}.tmp-${process.pid}`;
  // No secrets in it (passwords are $VARIABLES), and nats-server runs as its own user.
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  io.out(`${file}: ${users.length} edge users`);
}

function describe(r: EdgeIdentityRow): string {
  const key = r.publicKey ? `key ${keyIdOfRaw(r.publicKey)}` : 'no key yet';
  const since = r.approvedMs ?? r.enrolledMs ?? r.createdMs;
  return `${r.edgeId}  ${r.state}  district ${r.district}  ${key}  nats ${r.natsNkey ?? '-'}  since ${new Date(since).toISOString()}`;
}

interface FleetRequest {
  readonly sub: string;
  readonly edgeId: string | undefined;
  readonly db: string;
  readonly nats: string[] | undefined;
  readonly natsCredentials: NatsCredentialFlagValues;
  readonly district: string | undefined;
  readonly ttl: string | undefined;
  readonly out: string | undefined;
  readonly newNkey: boolean;
}

/** Parses and checks `calle fleet …`; an exit code (usage printed) when it is not a valid request. */
function parseRequest(args: string[], io: CommandIo): FleetRequest | number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        db: { type: 'string', default: './calle-cloud.db' },
        nats: { type: 'string', multiple: true },
        edge: { type: 'string' },
        district: { type: 'string' },
        ttl: { type: 'string' },
        out: { type: 'string' },
        'new-nkey': { type: 'boolean', default: false },
        ...NATS_CREDENTIAL_FLAGS,
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
  const natsCredentials: NatsCredentialFlagValues = {
    'nats-user': v['nats-user'],
    'nats-password-file': v['nats-password-file'],
    'nats-creds': v['nats-creds'],
  };
  if (!v.nats && Object.values(natsCredentials).some((x) => x !== undefined))
    return usage('--nats-user, --nats-password-file and --nats-creds go with --nats URL');
  if (edgeId !== undefined && !EDGE_ID_PATTERN.test(edgeId))
    return usage(`edge id '${edgeId}' is invalid: it must match ${String(EDGE_ID_PATTERN)}`);
  return {
    sub,
    edgeId,
    db: v.db,
    nats: v.nats,
    natsCredentials,
    district: v.district,
    ttl: v.ttl,
    out: v.out,
    newNkey: v['new-nkey'],
  };
}

function ttlOf(r: FleetRequest): number {
  try {
    return r.ttl === undefined ? DEFAULT_TOKEN_TTL_MS : parseTtl('--ttl', r.ttl);
  } catch (err) {
    throw new Failure((err as Error).message);
  }
}

/** An operator's mistake or a refusal: the message, exit code 1; anything else is a bug. */
function failed(io: CommandIo, err: unknown): number {
  if (err instanceof Failure || err instanceof CoordinatorError) {
    io.err(err.message);
    return 1;
  }
  throw err;
}

/**
 * Runs `calle fleet …` on the database file; returns the process exit code. With --nats it only
 * says to use runFleetCommandAsync, which handles both.
 */
export function runFleetCommand(
  args: string[],
  io: CommandIo = consoleIo,
  now: () => number = Date.now,
): number {
  const r = parseRequest(args, io);
  if (typeof r === 'number') return r;
  if (r.nats) {
    io.err('calle fleet: --nats works through runFleetCommandAsync (bin/fleet-command.ts)');
    return 2;
  }
  return onFile(r, io, now);
}

/** Runs `calle fleet …` on the database file or, with --nats, on the replicated KV bucket. */
export async function runFleetCommandAsync(
  args: string[],
  io: CommandIo = consoleIo,
  now: () => number = Date.now,
): Promise<number> {
  const r = parseRequest(args, io);
  if (typeof r === 'number') return r;
  return r.nats ? onNats(r, r.nats, io, now) : onFile(r, io, now);
}

function onFile(r: FleetRequest, io: CommandIo, now: () => number): number {
  let opened: ReturnType<typeof openStore> | undefined;
  try {
    const ttlMs = ttlOf(r);
    opened = openStore(r.db);
    const { store } = opened;
    if (store.replicated && ['token', 'approve', 'revoke'].includes(r.sub))
      throw new Failure(
        `--db ${r.db}: a replicated coordinator's copy; its enrolment lives in NATS KV, where a change here would never arrive. Run: calle fleet ${r.sub} … --nats nats://HOST:4222 --nats-user coordinator --nats-password-file FILE`,
      );
    switch (r.sub) {
      case 'token': {
        const id = r.edgeId!;
        const existing = store.get(id);
        const made = newNkey(existing, r.newNkey, r.out);
        const issued = store.issueToken({
          edgeId: id,
          district: r.district!,
          ttlMs,
          nowMs: now(),
          ...made.natsNkey,
        });
        printToken(io, { id, issued, made, existing, out: r.out });
        return 0;
      }
      case 'pending':
      case 'list':
        printList(io, r.sub, store.list());
        return 0;
      case 'approve':
        io.out(`approved: ${describe(store.approve(r.edgeId!, now()))}`);
        return 0;
      case 'revoke':
        printRevoked(io, store.revoke(r.edgeId!, now()));
        return 0;
      default:
        writeAccounts(io, r.out!, store.natsUsers());
        return 0;
    }
  } catch (err) {
    return failed(io, err);
  } finally {
    opened?.close();
  }
}

async function onNats(r: FleetRequest, servers: string[], io: CommandIo, now: () => number): Promise<number> {
  let nc: NatsConnection;
  try {
    const auth = natsAuthFromFlags(r.natsCredentials);
    nc = await connect({
      ...coordinatorConnectionOptions({ servers, auth }, 'calle-fleet'),
      timeout: 5_000,
      // An Authorization Violation is an answer, not an outage: report it instead of retrying.
      reconnect: false,
    });
  } catch (err) {
    if (err instanceof NatsCredentialsError) io.err(err.message);
    else io.err(`--nats ${servers.join(', ')}: ${(err as Error).message}`);
    return 1;
  }
  try {
    const ttlMs = ttlOf(r);
    let bucket: EnrolmentBucket;
    try {
      bucket = await EnrolmentBucket.bind(nc);
    } catch (err) {
      throw new Failure((err as Error).message);
    }
    switch (r.sub) {
      case 'token': {
        const id = r.edgeId!;
        const existing = await bucket.get(id);
        const made = newNkey(existing, r.newNkey, r.out);
        const issued = await bucket.issueToken({
          edgeId: id,
          district: r.district!,
          ttlMs,
          nowMs: now(),
          ...made.natsNkey,
        });
        printToken(io, { id, issued, made, existing, out: r.out });
        return 0;
      }
      case 'pending':
      case 'list':
        printList(io, r.sub, await bucket.list());
        return 0;
      case 'approve':
        io.out(`approved: ${describe((await bucket.approve(r.edgeId!, now())).row)}`);
        return 0;
      case 'revoke':
        printRevoked(io, (await bucket.revoke(r.edgeId!, now())).row);
        return 0;
      default:
        writeAccounts(io, r.out!, natsUsersOf(await bucket.list()));
        return 0;
    }
  } catch (err) {
    return failed(io, err);
  } finally {
    await nc.close();
  }
}
