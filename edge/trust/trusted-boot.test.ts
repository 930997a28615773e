// A cold boot runs the stored policy only if it still verifies against the pinned key.
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v1, type calle } from '../../proto/index.js';
import { eventSubject } from '../../proto/nats-subjects.js';
import type { EdgeConfig } from '../config/edge-config.js';
import { loadEdgeConfig } from '../config/load-config.js';
import { startEdgeNode } from '../edge-node.js';
import { openDatabase } from '../../common/sqlite/open-database.js';
import { PolicyStore } from '../store/policy-store.js';
import { tempDir, testLogger } from '../../common/testing/temp-dir.js';
import { signBundle } from '../../common/signing/policy-signature.js';
import { EDGE_MIGRATIONS } from '../store/migrations.js';

const SITE = fileURLToPath(new URL('../examples/madrid-street.json', import.meta.url));
const keyA = generateKeyPairSync('ed25519');
const keyB = generateKeyPairSync('ed25519');

function setup(t: ExecutionContext, stored: calle.v1.IPolicyBundle) {
  const dir = tempDir(t, 'calle-boot-');
  const pins = { a: join(dir, 'a.pub'), b: join(dir, 'b.pub') };
  writeFileSync(pins.a, keyA.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(pins.b, keyB.publicKey.export({ type: 'spki', format: 'pem' }));
  const store = join(dir, 'edge.db');
  const db = openDatabase(store, EDGE_MIGRATIONS);
  new PolicyStore(db).save(stored, Date.now()); // what an earlier run applied
  db.close();
  const site = loadEdgeConfig(SITE);
  const config = (pin?: string): EdgeConfig => ({
    ...site,
    store: { path: store },
    console: { host: '127.0.0.1', port: 0 },
    ...(pin ? { trust: { coordinatorKey: pin } } : {}),
  });
  /** Boots the edge once and reports what it runs and the events it raised. */
  const boot = async (pin?: string) => {
    const node = await startEdgeNode(config(pin), testLogger());
    try {
      const events = node.outbox
        .peek(1_000)
        .filter((r) => r.subject === eventSubject(site.edge.id))
        .map((r) => v1.Event.decode(r.payload));
      return {
        policyVersion: node.site.policyVersion,
        untrusted: events.filter((e) => e.code === 'POLICY_UNTRUSTED'),
      };
    } finally {
      await node.close();
    }
  };
  return { pins, boot };
}

const policy = {
  version: 3,
  issuedMs: 1_750_000_000_000,
  target: { allEdges: true },
  waste: { collectAtFill: 0.7 },
};

test('trusted boot — the stored policy runs when it verifies; re-pinned to another key, the node runs its defaults and says why', async (t) => {
  const { pins, boot } = setup(t, signBundle(policy, keyA.privateKey));
  t.like(await boot(pins.a), { policyVersion: 3, untrusted: [] });

  const other = await boot(pins.b);
  t.is(other.policyVersion, 0, 'built-in defaults');
  t.is(other.untrusted.length, 1);
  t.regex(other.untrusted[0]?.message ?? '', /^policy 3 refused: key_id: signed by key/);

  const none = await boot();
  t.is(none.policyVersion, 0);
  t.regex(none.untrusted.at(-1)?.message ?? '', /trust\.coordinatorKey: no coordinator key is pinned/);

  t.like(await boot(pins.a), { policyVersion: 3 }, 'and back on the right key, the policy runs again');
});

test('trusted boot — an unsigned policy stored by an older calle, or one edited on disk, is not run', async (t) => {
  const unsigned = setup(t, policy);
  const boot1 = await unsigned.boot(unsigned.pins.a);
  t.is(boot1.policyVersion, 0);
  t.regex(boot1.untrusted[0]?.message ?? '', /signature: the bundle is unsigned/);

  const edited = signBundle(policy, keyA.privateKey);
  edited.waste!.collectAtFill = 0.99;
  const tampered = setup(t, edited);
  const boot2 = await tampered.boot(tampered.pins.a);
  t.is(boot2.policyVersion, 0);
  t.regex(boot2.untrusted[0]?.message ?? '', /signature: does not match the content/);
});
