import test from 'ava';
import fc from 'fast-check';
import { EdgeSeqs } from './edge-seqs.js';

test('edge seqs — holds exactly the seqs added, and the contiguous seq is the highest with all below held', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 8 }), { maxLength: 12 }),
      (batches) => {
        const seqs = new EdgeSeqs();
        const model = new Set<number>();
        for (const batch of batches) {
          const fresh = batch.filter((s) => !model.has(s));
          seqs.add(fresh);
          for (const s of fresh) model.add(s);
          // Through storage and back, as each batch's transaction does.
          const again = EdgeSeqs.decode(seqs.contiguous, seqs.encode());
          for (let s = 1; s <= 61; s++) t.is(again.holds(s), model.has(s), `seq ${s}`);
          let c = 0;
          while (model.has(c + 1)) c++;
          t.is(again.contiguous, c);
          for (const [a, b] of again.ranges) t.true(a > c + 1 && b >= a);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('edge seqs — a gap that never closes is one range however many seqs follow it', (t) => {
  const seqs = new EdgeSeqs();
  seqs.add([1, 2, 3]);
  for (let s = 5; s <= 100_000; s += 1000) seqs.add(Array.from({ length: 1000 }, (_, i) => s + i));
  t.is(seqs.contiguous, 3);
  t.deepEqual(seqs.ranges, [[5, 100_004]]);
  seqs.add([4]);
  t.is(seqs.contiguous, 100_004);
  t.deepEqual(seqs.ranges, []);
});
