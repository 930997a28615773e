// Per-edge NATS identities, live: `calle fleet token` makes each edge's nkey user, `calle fleet
// nats-accounts` renders the accounts file, a real nats-server runs with it, and the edge's
// NatsLink authenticates with its seed file. The edge may publish its own telemetry (JetStream
// acknowledges it) and nothing reaches the stream when it tries another edge's subject.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import test from 'ava';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFleetCommand } from '../../bin/fleet-command.js';
import { SqliteStore } from '../../cloud/store/sqlite/sqlite-store.js';
import { LocalNatsServer } from '../../deploy/nats/local-server.js';
import { telemetrySubject } from '../../proto/nats-subjects.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { NatsLink, readNkeySeed } from './nats-link.js';

const PASSWORD = 'coordinator-test-password';

test('nats nkeys — an edge publishes its own telemetry with its seed and cannot publish another edge’s', async (t) => {
  const dir = tempDir(t);
  const dbPath = join(dir, 'coordinator.db');
  new SqliteStore(dbPath).closeNow();
  const fleet = (...args: string[]): string[] => {
    const out: string[] = [];
    const code = runFleetCommand([...args, '--db', dbPath], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    t.is(code, 0, out.join('\n'));
    return out;
  };
  fleet('token', '--edge', 'edge-a', '--district', 'centro', '--out', join(dir, 'edge-a.nk'));
  fleet('token', '--edge', 'edge-b', '--district', 'centro', '--out', join(dir, 'edge-b.nk'));
  fleet('nats-accounts', '--out', join(dir, 'accounts.conf'));
  writeFileSync(join(dir, 'hub.conf'), 'accounts {\n  include ./accounts.conf\n}\nsystem_account: SYS\n');
  const nats = await LocalNatsServer.start({
    configFile: join(dir, 'hub.conf'),
    env: { CALLE_COORDINATOR_PASSWORD: PASSWORD, CALLE_SYS_PASSWORD: 'sys-test-password' },
  });
  t.teardown(async () => nats.close());

  const coordinator = await connect({ servers: nats.url, user: 'coordinator', pass: PASSWORD });
  t.teardown(async () => coordinator.close());
  const jsm = await jetstreamManager(coordinator);
  await jsm.streams.add({ name: 'TELEMETRY', subjects: ['calle.telemetry.>'] });

  const link = new NatsLink({
    servers: [nats.url],
    edgeId: 'edge-a',
    log: testLogger(),
    nkeySeedFile: join(dir, 'edge-a.nk'),
  });
  t.teardown(async () => link.close());
  const deadline = Date.now() + 10_000;
  while (!link.connection && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const nc = link.connection;
  if (!nc) return t.fail('edge-a never connected with its seed');
  const js = jetstream(nc, { timeout: 1_000 });

  const ack = await js.publish(telemetrySubject('edge-a'), new Uint8Array([1]));
  t.is(ack.stream, 'TELEMETRY');
  // A publish the server forbids is dropped (and reported to the client as a permissions error):
  // JetStream never sees it, so no acknowledgement comes back.
  await t.throwsAsync(js.publish(telemetrySubject('edge-b'), new Uint8Array([2])));
  nc.publish(telemetrySubject('edge-b'), new Uint8Array([3]));
  await nc.flush();
  const info = await jsm.streams.info('TELEMETRY');
  t.is(info.state.messages, 1, 'only edge-a’s own message is stored');
  t.deepEqual(info.state.num_subjects, 1);

  // Without a seed, or with another edge's seed file made readable to others, there is no way in.
  await t.throwsAsync(connect({ servers: nats.url, reconnect: false }), { message: /Authorization/i });
  chmodSync(join(dir, 'edge-b.nk'), 0o644);
  t.throws(() => readNkeySeed(join(dir, 'edge-b.nk')), {
    message: /permissions 644 let others read the seed/,
  });
});
