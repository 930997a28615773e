import test from 'ava';
import { DAY_MS } from './bucket-tables.js';
import { dataInventory } from './data-inventory.js';
import { DEFAULT_RETENTION, parseRetention } from './retention.js';

test('retention — --retention sets some classes, keeps the defaults of the others', (t) => {
  t.deepEqual(parseRetention('--retention', 'raw=30d, events=90d'), {
    ...DEFAULT_RETENTION,
    rawMs: 30 * DAY_MS,
    eventsMs: 90 * DAY_MS,
  });
  t.deepEqual(parseRetention('--retention', ''), DEFAULT_RETENTION);
});

test('retention — a bad class, value or order is refused naming the flag and the class', (t) => {
  const cases: [string, RegExp][] = [
    ['audit=10d', /^--retention: unknown data class "audit" \(known: raw, rollup15m, rollup1h, events\)/],
    ['raw=2w', /^--retention: raw: "2w" is not a number of days like 14d/],
    ['raw=1d', /^--retention: raw: 1 days is outside 2 to 7300/],
    ['raw=100d', /^--retention: rollup15m: may not be kept shorter than raw/],
    ['rollup15m=500d', /^--retention: rollup1h: may not be kept shorter than rollup15m/],
  ];
  for (const [text, message] of cases) t.throws(() => parseRetention('--retention', text), { message }, text);
});

test('retention — the data inventory states the windows in force', (t) => {
  const inventory = dataInventory(parseRetention('--retention', 'raw=7d,rollup1h=730d'));
  t.like(Object.fromEntries(inventory.classes.map((c) => [c.class, c.keptDays])), {
    raw: 7,
    rollup15m: 90,
    rollup1h: 730,
    events: 365,
    audit: null,
  });
  t.regex(inventory.personalData, /presence is never sent/);
});
