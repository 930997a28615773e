// The coordinator re-signs live policies before they expire: same version, same content, a later
// expiry, a signature the edge verifies; a refresh may never change a version's content.
import test, { type ExecutionContext } from 'ava';
import { v1, type calle } from '../../proto/index.js';
import { contentDigest, expiryOf } from '../../common/signing/policy-expiry.js';
import { verifyBundleSignature } from '../../common/signing/policy-signature.js';
import { ephemeralSigner } from '../keys/policy-signer.js';
import { testLogger } from '../testing/harness.js';
import { type PublishedPolicy } from './policy-publisher.js';
import { PolicyRefresher } from './policy-refresher.js';
import { DEFAULT_VALIDITY_MS, parseValidity } from './policy-validity.js';
import { localState, tempStore } from '../testing/local-state.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T09:00:00Z');

async function setup(t: ExecutionContext) {
  const db = tempStore(t);
  const clock = { ms: T0 };
  const now = () => clock.ms;
  const signer = ephemeralSigner();
  const { log, lines } = testLogger(t);
  const { publisher, writes } = await localState(db, log, { signer, now });
  const refresher = new PolicyRefresher({ store: db, signer, publisher, log, now, replication: writes });
  const refreshes: PublishedPolicy[] = [];
  publisher.onRefresh((p) => void refreshes.push(p));
  const published: number[] = [];
  publisher.subscribe((p) => void published.push(p.version));
  const stored = async (version: number): Promise<calle.v1.PolicyBundle> =>
    v1.PolicyBundle.decode((await db.policies.get(version))!.bundle);
  const register = async (id: string, policyVersion: number): Promise<void> => {
    await db.registry.register({ id, district: 'centro', tags: [], softwareVersion: 't', nowMs: now() });
    await db.registry.heartbeat({
      id,
      nowMs: now(),
      highestSeq: 0,
      outboxPending: 0,
      policyVersion,
      devicesUnavailable: 0,
    });
  };
  return { db, clock, signer, publisher, refresher, refreshes, published, stored, register, lines };
}

const draft = (levelPct: number) => ({
  target: { districts: ['centro'] },
  lighting: { steps: [{ at: 'sunset', levelPct }] },
});

test('policy refresher — a published bundle expires after the validity (7 days by default), signed', async (t) => {
  const { publisher, signer } = await setup(t);
  const bundle = await publisher.publish(draft(50));
  t.is(Number(bundle.issuedMs), T0);
  t.is(Number(bundle.expiresMs), T0 + DEFAULT_VALIDITY_MS);
  t.is(DEFAULT_VALIDITY_MS, 7 * DAY);
  t.deepEqual(verifyBundleSignature(bundle, signer.publicKey), { ok: true });
});

test('policy refresher — live versions are re-signed once a day old: same version and content, later expiry, verified; not before', async (t) => {
  const { clock, publisher, refresher, refreshes, published, stored, register, signer } = await setup(t);
  await publisher.publish(draft(50)); // v1
  await publisher.publish(draft(40)); // v2
  await publisher.publish(draft(30)); // v3
  await register('edge-a', 2); // runs v2 (refused v3 on bounds, say): v2 and v3 are live, v1 is not
  await register('edge-b', 3);
  const before = await Promise.all([1, 2, 3].map(stored));

  clock.ms = T0 + 23 * HOUR;
  t.is(await refresher.tick(), 0, 'not yet a day old');

  clock.ms = T0 + DAY + HOUR;
  t.is(await refresher.tick(), 2);
  t.deepEqual(
    refreshes.map((r) => r.version),
    [2, 3],
  );
  t.deepEqual(published, [1, 2, 3], 'a refresh is not a publication (rollouts do not hear of it)');
  t.is(Number((await stored(1)).expiresMs), T0 + 7 * DAY, 'v1 runs nowhere: left to expire');
  for (const version of [2, 3]) {
    const old = before[version - 1]!;
    const now = await stored(version);
    t.is(Number(now.version), version);
    t.is(contentDigest(now), contentDigest(old), `v${version}: content unchanged`);
    t.is(Number(now.issuedMs), Number(old.issuedMs), 'issued_ms is the first publication');
    t.is(expiryOf(now), clock.ms + 7 * DAY, `v${version}: valid 7 days from the re-signing`);
    t.deepEqual(verifyBundleSignature(now, signer.publicKey), { ok: true });
  }
  t.is(await refresher.tick(), 0, 'fresh again: nothing to do');
});

test('policy refresher — a bundle stored by a coordinator without expiry is re-signed at the first pass', async (t) => {
  const { db, clock, signer, refresher, stored } = await setup(t);
  // What an older coordinator stored: no expires_ms (its edges treat it as issued + 7 days).
  const legacy = signer.sign({ version: 1, issuedMs: T0 - 30 * DAY, ...draft(50) });
  db.policies.storeAt(1, v1.PolicyBundle.encode(legacy).finish(), T0 - 30 * DAY);
  t.is(Number(legacy.expiresMs), 0);
  t.is(await refresher.tick(), 1);
  t.is(Number((await stored(1)).expiresMs), clock.ms + 7 * DAY);
  t.is(contentDigest(await stored(1)), contentDigest(legacy));
});

test('policy refresher — the store takes a re-signed copy only: other content, another version or an earlier expiry are refused', async (t) => {
  const { db, publisher, signer, stored } = await setup(t);
  const original = await publisher.publish(draft(50));
  const bundles = { replace: async (v: number, b: Uint8Array) => db.policies.replaceRefreshed(v, b) };
  const encode = (b: calle.v1.IPolicyBundle) => v1.PolicyBundle.encode(signer.sign(b)).finish();
  const later = Number(original.expiresMs) + DAY;

  t.like(await bundles.replace(1, encode({ ...original, expiresMs: later, waste: { collectAtFill: 0.1 } })), {
    replaced: false,
    conflict: true,
    reason: 'version 1: a refresh may not change the content',
  });
  t.like(await bundles.replace(1, encode({ ...original, version: 2, expiresMs: later })), {
    replaced: false,
    conflict: true,
  });
  t.like(await bundles.replace(1, encode({ ...original, expiresMs: Number(original.expiresMs) - 1 })), {
    replaced: false,
    conflict: false,
  });
  t.is(Number((await stored(1)).expiresMs), Number(original.expiresMs), 'unchanged by the refusals');
  t.like(await bundles.replace(1, encode({ ...original, expiresMs: later })), { replaced: true });
  t.is(Number((await stored(1)).expiresMs), later);
});

test('policy refresher — --policy-validity: 2 to 90 days, errors name the flag', (t) => {
  t.is(parseValidity('--policy-validity', '3d'), 3 * DAY);
  t.is(parseValidity('--policy-validity', '72h'), 3 * DAY);
  t.throws(() => parseValidity('--policy-validity', '1d'), {
    message: /^--policy-validity: 24 h is outside 2 to 90 days/,
  });
  t.throws(() => parseValidity('--policy-validity', '91d'), {
    message: /^--policy-validity: .* outside 2 to 90 days/,
  });
  t.throws(() => parseValidity('--policy-validity', 'week'), {
    message: /^--policy-validity: 'week' is not a duration/,
  });
});
