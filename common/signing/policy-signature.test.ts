import test from 'ava';
import fc from 'fast-check';
import { generateKeyPairSync, sign } from 'node:crypto';
import { v1, type calle } from '../../proto/index.js';
import {
  canonicalBundle,
  keyIdOf,
  signBundle,
  signingPayload,
  verifyBundleSignature,
} from './policy-signature.js';

const keyA = generateKeyPairSync('ed25519');
const keyB = generateKeyPairSync('ed25519');

const draft: calle.v1.IPolicyBundle = {
  version: 7,
  target: { districts: ['centro'], tags: ['pilot'], edgeIds: ['atocha-01'] },
  issuedMs: 1_750_000_000_000,
  expiresMs: 1_750_604_800_000,
  lighting: {
    steps: [
      { at: 'sunset', offsetMin: -10, levelPct: 80 },
      { at: '00:30', levelPct: 40 },
    ],
    presenceLevelPct: 70,
    presenceHoldS: 60,
  },
  traffic: { cycleS: 90, minGreenS: 7, yellowS: 4, allRedS: 2 },
  waste: { collectAtFill: 0.8 },
};

/** What the edge holds after the bundle crossed gRPC: decoded from the bytes the coordinator sent. */
const overTheWire = (b: calle.v1.IPolicyBundle): calle.v1.PolicyBundle =>
  v1.PolicyBundle.decode(v1.PolicyBundle.encode(b).finish());

test('policy signature — a signed bundle verifies against its key, before and after the wire', (t) => {
  const signed = signBundle(draft, keyA.privateKey);
  t.is(signed.signatureAlg, 'ed25519');
  t.is(signed.keyId, keyIdOf(keyA.publicKey));
  t.is(signed.keyId, keyIdOf(keyA.privateKey), 'the id of a private key is that of its public half');
  t.regex(signed.keyId, /^[0-9a-f]{32}$/);
  t.is(signed.signature.length, 64);
  t.like(verifyBundleSignature(signed, keyA.publicKey), { ok: true });
  t.like(verifyBundleSignature(overTheWire(signed), keyA.publicKey), { ok: true });
});

// Every field the signature must protect, changed after signing the way a man in the middle would.
const tampering: [string, (b: calle.v1.PolicyBundle) => void][] = [
  ['version', (b) => (b.version = 8)],
  ['issued_ms', (b) => (b.issuedMs = 1_750_000_000_001)],
  // A freeze attacker's edit: a later expiry to keep a withheld edge quiet, or none at all.
  ['expires_ms (later)', (b) => (b.expiresMs = 4_102_444_800_000)],
  ['expires_ms (removed)', (b) => (b.expiresMs = 0)],
  ['target.all_edges', (b) => (b.target!.allEdges = true)],
  ['target.districts', (b) => b.target!.districts!.push('retiro')],
  ['target.tags', (b) => (b.target!.tags = [])],
  ['target.edge_ids', (b) => (b.target!.edgeIds = ['atocha-02'])],
  ['lighting.steps[].at', (b) => (b.lighting!.steps![1]!.at = '01:30')],
  ['lighting.steps[].offset_min', (b) => (b.lighting!.steps![0]!.offsetMin = 0)],
  ['lighting.steps[].level_pct', (b) => (b.lighting!.steps![1]!.levelPct = 0)],
  ['lighting.steps (one removed)', (b) => b.lighting!.steps!.pop()],
  ['lighting.presence_level_pct', (b) => (b.lighting!.presenceLevelPct = 100)],
  ['lighting.presence_hold_s', (b) => (b.lighting!.presenceHoldS = 1)],
  ['lighting (section dropped)', (b) => (b.lighting = null)],
  ['traffic.cycle_s', (b) => (b.traffic!.cycleS = 60)],
  ['traffic.min_green_s', (b) => (b.traffic!.minGreenS = 5)],
  ['traffic.yellow_s', (b) => (b.traffic!.yellowS = 3)],
  ['traffic.all_red_s', (b) => (b.traffic!.allRedS = 0)],
  ['waste.collect_at_fill', (b) => (b.waste!.collectAtFill = 0.5)],
];

for (const [field, tamper] of tampering) {
  test(`policy signature — changing ${field} after signing is refused`, (t) => {
    const received = overTheWire(signBundle(draft, keyA.privateKey));
    tamper(received);
    const verdict = verifyBundleSignature(overTheWire(received), keyA.publicKey);
    t.false(verdict.ok);
    t.regex((verdict as { reason: string }).reason, /^signature: does not match the content/);
  });
}

test('policy signature — the signature fields themselves: wrong alg, other key id, a flipped or short signature', (t) => {
  const signed = () => overTheWire(signBundle(draft, keyA.privateKey));
  const reason = (b: calle.v1.PolicyBundle): string =>
    (verifyBundleSignature(b, keyA.publicKey) as { reason: string }).reason;

  const alg = signed();
  alg.signatureAlg = 'rsa-pss';
  t.regex(reason(alg), /^signature_alg: "rsa-pss" is not "ed25519"/);

  const id = signed();
  id.keyId = keyIdOf(keyB.publicKey);
  t.regex(reason(id), /^key_id: signed by key "[0-9a-f]{32}", but this edge trusts only [0-9a-f]{32}/);

  const flipped = signed();
  flipped.signature = Buffer.from(flipped.signature);
  flipped.signature[10]! ^= 0x01;
  t.regex(reason(flipped), /^signature: does not match/);

  const short = signed();
  short.signature = short.signature.subarray(0, 63);
  t.regex(reason(short), /^signature: 63 bytes/);
});

test('policy signature — unsigned, and signed by another key, are refused naming why', (t) => {
  const unsigned = overTheWire(draft);
  t.like(verifyBundleSignature(unsigned, keyA.publicKey), {
    ok: false,
    reason: 'signature: the bundle is unsigned',
  });

  const other = overTheWire(signBundle(draft, keyB.privateKey));
  t.regex((verifyBundleSignature(other, keyA.publicKey) as { reason: string }).reason, /^key_id: /);

  // Another key that claims the pinned key's id: the id is a label, the key decides.
  other.keyId = keyIdOf(keyA.publicKey);
  t.regex(
    (verifyBundleSignature(other, keyA.publicKey) as { reason: string }).reason,
    /^signature: does not match/,
  );
});

test('policy signature — domain separation: a signature over the bare encoding does not verify', (t) => {
  const bundle = canonicalBundle({ ...draft, keyId: keyIdOf(keyA.publicKey), signatureAlg: 'ed25519' });
  // What a signature over another message type, with the same bytes, would look like.
  bundle.signature = sign(null, v1.PolicyBundle.encode(bundle).finish(), keyA.privateKey);
  t.false(verifyBundleSignature(overTheWire(bundle), keyA.publicKey).ok);
});

test('policy signature — the payload does not depend on how the object was built (field order, explicit defaults)', (t) => {
  const forward = signingPayload({
    version: 3,
    issuedMs: 5,
    target: { allEdges: true },
    waste: { collectAtFill: 1 },
  });
  const backward = signingPayload({
    waste: { collectAtFill: 1 },
    target: { edgeIds: [], allEdges: true, tags: [] },
    issuedMs: 5,
    keyId: '',
    version: 3,
  });
  t.deepEqual(forward, backward);
});

// Bundles as operators could author them, plus the awkward values a decoder may normalise.
const arbBundle: fc.Arbitrary<calle.v1.IPolicyBundle> = fc.record(
  {
    version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    issuedMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    expiresMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    target: fc.record(
      {
        allEdges: fc.boolean(),
        districts: fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 3 }),
        tags: fc.array(fc.string(), { maxLength: 3 }),
        edgeIds: fc.array(fc.string(), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    lighting: fc.record({
      steps: fc.array(
        fc.record(
          {
            at: fc.constantFrom('sunset', 'sunrise', '00:30', ''),
            offsetMin: fc.integer({ min: -720, max: 720 }),
            levelPct: fc.double(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      presenceLevelPct: fc.double(),
      presenceHoldS: fc.integer({ min: 0, max: 0xffffffff }),
    }),
    traffic: fc.record({
      cycleS: fc.nat(),
      minGreenS: fc.nat(),
      yellowS: fc.double(),
      allRedS: fc.double(),
    }),
    waste: fc.record({ collectAtFill: fc.double() }),
  },
  { requiredKeys: ['version'] },
);

test('policy signature — property: whatever the bundle, what the coordinator signs verifies at the edge after the wire', (t) => {
  fc.assert(
    fc.property(arbBundle, (bundle) => {
      const signed = signBundle(bundle, keyA.privateKey);
      const received = overTheWire(signed);
      return (
        verifyBundleSignature(received, keyA.publicKey).ok &&
        signingPayload(received).equals(signingPayload(signed))
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('policy signature — a string that cannot cross the wire (lone surrogate) fails at signing, not at every edge', (t) => {
  t.throws(() => signBundle({ ...draft, target: { districts: ['centro\ud800'] } }, keyA.privateKey), {
    message: /utf-8/i,
  });
});
