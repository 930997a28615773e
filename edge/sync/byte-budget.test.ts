import test from 'ava';
import { ByteBudget, wireBytes } from './byte-budget.js';

test('byte budget — a bucket of an hour of allowance, refilled at the daily rate', (t) => {
  // 86,400 bytes a day = 1 byte/s; an hour's bucket holds 3,600 bytes.
  const b = new ByteBudget({ bytesPerDay: 86_400 });
  t.true(b.tryTake(3_000, 0));
  t.false(b.tryTake(601, 0), 'only 600 left');
  t.is(b.waitMs(601, 0), 1_000, 'one more byte takes a second');
  t.true(b.tryTake(601, 1_000));
  t.true(b.waitMs(10_000, 1_000) > 0);
  t.is(
    b.waitMs(10_000, 1_000 + 3_600_000),
    0,
    'a message larger than the bucket waits for a full bucket, not for ever',
  );
});

test('byte budget — alarms are forced through and put the bucket into debt', (t) => {
  const b = new ByteBudget({ bytesPerDay: 86_400, burstS: 100 });
  b.force(300, 0);
  t.false(b.tryTake(1, 0));
  t.is(b.waitMs(1, 0), 201_000, 'the 200-byte debt is repaid first');
  t.throws(() => new ByteBudget({ bytesPerDay: 0 }), { message: 'bytesPerDay: 0 must be above 0' });
  t.is(wireBytes('calle.telemetry.e1', 100), 100 + 18 + 96);
});
