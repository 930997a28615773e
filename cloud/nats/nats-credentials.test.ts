// The coordinator's NATS credentials (issue 13, finding 3): from files named by flags, checked at
// start with the flag's name in every refusal, never from the URL (the client dropped them there
// and the documented deployments looped on Authorization Violation), and used by every
// coordinator-side connection: ingest, replication and `calle fleet --nats`.
import { createUser } from '@nats-io/nkeys';
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFleetCommandAsync } from '../../bin/fleet-command.js';
import { connectEdge, startHub } from '../../deploy/nats/testing/hub-fixture.js';
import { startCoordinator } from '../coordinator.js';
import { publishBatch, testLogger, waitFor } from '../testing/harness.js';
import { tempDir } from '../../common/testing/temp-dir.js';
import { jetstream } from '@nats-io/jetstream';
import { checkServerUrls, coordinatorConnectionOptions } from './coordinator-nats.js';
import { natsAuthFromFlags, NatsCredentialsError } from './nats-credentials.js';

function secret(dir: string, name: string, text: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode });
  return file;
}

test('nats credentials — each bad flag combination or file is refused naming the flag and the reason', (t) => {
  const dir = tempDir(t);
  const good = secret(dir, 'pw', 'kS3cretPassw0rdForTests\n');
  const refused = (values: Parameters<typeof natsAuthFromFlags>[0], message: RegExp): void => {
    t.throws(() => natsAuthFromFlags(values), { instanceOf: NatsCredentialsError, message });
  };
  refused({ 'nats-user': 'coordinator' }, /^--nats-user: needs --nats-password-file FILE/);
  refused({ 'nats-password-file': good }, /^--nats-password-file: needs --nats-user NAME/);
  refused(
    { 'nats-user': 'coordinator', 'nats-password-file': good, 'nats-creds': good },
    /^--nats-creds: give either/,
  );
  refused(
    { 'nats-user': 'coordinator', 'nats-password-file': secret(dir, 'open', 'x', 0o644) },
    /^--nats-password-file .*open: permissions 644 let others read the secret; run chmod 600/,
  );
  refused({ 'nats-user': 'coordinator', 'nats-password-file': join(dir, 'absent') }, /cannot read/);
  refused({ 'nats-user': 'coordinator', 'nats-password-file': secret(dir, 'empty', '\n') }, /: empty$/);
  refused(
    { 'nats-user': 'coordinator', 'nats-password-file': secret(dir, 'two', 'a\nb\n') },
    /more than one line/,
  );
  refused({ 'nats-user': 'co ord', 'nats-password-file': good }, /^--nats-user: "co ord" is not a user name/);
  refused({ 'nats-creds': secret(dir, 'junk.creds', 'not a seed') }, /neither an nkey user seed/);
  t.is(natsAuthFromFlags({}), undefined, 'no flags: no credentials');
  t.is(
    natsAuthFromFlags({ 'nats-user': 'coordinator', 'nats-password-file': good })?.who,
    'user coordinator',
  );
  const seed = new TextDecoder().decode(createUser().getSeed());
  t.regex(natsAuthFromFlags({ 'nats-creds': secret(dir, 'c.nk', `${seed}\n`) })!.who, /^nkey seed /);
});

test('nats credentials — a URL with user:password@ is refused with the flags to use, and the password is not repeated', (t) => {
  for (const url of [
    'nats://coordinator:hunter2@nats:4222',
    'coordinator:hunter2@nats:4222',
    'tls://u@h:4222',
  ]) {
    const err = t.throws(() => checkServerUrls(['nats://ok:4222', url]), {
      instanceOf: NatsCredentialsError,
    });
    t.regex(err.message, /^--nats \S*…@\S+: credentials in the URL are ignored by the NATS client/);
    t.regex(err.message, /--nats-user NAME --nats-password-file FILE or --nats-creds FILE/);
    t.false(err.message.includes('hunter2'));
  }
  t.notThrows(() => checkServerUrls(['nats://nats:4222', 'nats-1:4222']));
  // Every coordinator connection replies into the coordinator's own inbox prefix.
  t.is(coordinatorConnectionOptions({ servers: ['nats://h:4222'] }, 'x').inboxPrefix, '_INBOX.coordinator');
});

test('nats credentials — the coordinator refuses a URL with credentials at start instead of looping on Authorization Violation', async (t) => {
  const dir = tempDir(t);
  await t.throwsAsync(
    startCoordinator({
      dbPath: join(dir, 'c.db'),
      natsServers: ['nats://coordinator:hunter2@127.0.0.1:4222'],
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      log: testLogger(t).log,
    }),
    { instanceOf: NatsCredentialsError, message: /--nats-user NAME --nats-password-file FILE/ },
  );
});

test('nats credentials — a replicated coordinator logs in to the hub with its password file, ingests, and `calle fleet --nats` uses the same flags', async (t) => {
  const dir = tempDir(t);
  const hub = await startHub(t, dir, ['edge-a']);
  const passwordFile = secret(dir, 'coordinator.password', `${hub.coordinatorPassword}\n`);
  const coordinator = await startCoordinator({
    dbPath: join(dir, 'c.db'),
    natsServers: [hub.nats.url],
    natsAuth: natsAuthFromFlags({ 'nats-user': 'coordinator', 'nats-password-file': passwordFile })!,
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    httpHost: '127.0.0.1',
    httpPort: 0,
    log: testLogger(t).log,
    replication: { replicaId: 'r1' },
  });
  t.teardown(async () => coordinator.close());
  const edge = await connectEdge(t, hub, 'edge-a');
  // The coordinator makes the streams once logged in: until then the publish finds no stream.
  const js = jetstream(edge, { timeout: 1_000 });
  await waitFor(
    async () =>
      publishBatch(js, 'edge-a', [1, 2]).then(
        () => true,
        () => false,
      ),
    15_000,
    'the telemetry stream',
  );
  await waitFor(
    async () => {
      const edges = (await (await fetch(`${coordinator.httpUrl}/api/edges`)).json()) as {
        received: number;
      }[];
      return edges[0]?.received === 2;
    },
    15_000,
    'the reading at the coordinator',
  );

  const fleet = async (...args: string[]): Promise<{ code: number; lines: string[] }> => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    return { code: await runFleetCommandAsync(args, io), lines };
  };
  const ok = await fleet(
    'list',
    '--nats',
    hub.nats.url,
    '--nats-user',
    'coordinator',
    '--nats-password-file',
    passwordFile,
  );
  t.is(ok.code, 0, ok.lines.join('\n'));
  t.deepEqual(ok.lines, ['no edges']);
  const inUrl = await fleet(
    'list',
    '--nats',
    hub.nats.url.replace('nats://', `nats://coordinator:${hub.coordinatorPassword}@`),
  );
  t.is(inUrl.code, 1);
  t.regex(inUrl.lines.join('\n'), /credentials in the URL are ignored/);
  t.false(inUrl.lines.join('\n').includes(hub.coordinatorPassword));
  const none = await fleet('list', '--nats', hub.nats.url);
  t.is(none.code, 1);
  t.regex(none.lines.join('\n'), /Authorization Violation/i);
  const strayFlag = await fleet('list', '--nats-user', 'coordinator');
  t.is(strayFlag.code, 2);
  t.regex(strayFlag.lines[0]!, /go with --nats URL/);
});
