import test from 'ava';
import { fillTrend } from './entity-builder.js';
import { NgsiQueryError, parseQuery } from './ngsi-query.js';

const containers = [
  { id: 'a', fillingLevel: 0.9, status: 'ok', dateModified: '2026-01-02T10:00:00.000Z' },
  { id: 'b', fillingLevel: 0.5, status: 'lidOpen', dateModified: '2026-01-01T10:00:00.000Z' },
  { id: 'c', status: 'ok', refDevice: ['urn:x:1', 'urn:x:2'], location: { type: 'Point' } },
];
const ids = (q: string): string[] => containers.filter(parseQuery(q)).map((e) => e.id);

test('ngsi query — comparisons, and a missing attribute is false for every operator', (t) => {
  t.deepEqual(ids('fillingLevel>0.8'), ['a']);
  t.deepEqual(ids('fillingLevel<=0.5'), ['b']);
  t.deepEqual(ids('fillingLevel!=0.5'), ['a'], 'c has no fillingLevel: != is false too');
  t.deepEqual(ids('status=="ok"'), ['a', 'c']);
  t.deepEqual(ids('fillingLevel'), ['a', 'b'], 'existence');
  t.deepEqual(ids('dateModified>2026-01-01T12:00:00Z'), ['a'], 'ISO dates compare in time order');
  t.deepEqual(ids('fillingLevel>"0.8"'), [], 'a number never compares with a string');
});

test('ngsi query — AND binds tighter than OR, parentheses group, lists, ranges, patterns', (t) => {
  t.deepEqual(ids('status=="ok";fillingLevel>0.8|status=="lidOpen"'), ['a', 'b']);
  t.deepEqual(ids('status=="ok";(fillingLevel>0.8|fillingLevel<0.6)'), ['a']);
  t.deepEqual(ids('status=="lidOpen","ok";fillingLevel'), ['a', 'b']);
  t.deepEqual(ids('fillingLevel==0.4..0.6'), ['b']);
  t.deepEqual(ids('fillingLevel!=0.4..0.6'), ['a']);
  t.deepEqual(ids('status~=^li'), ['b']);
  t.deepEqual(ids('status!~=^li'), ['a', 'c']);
  t.deepEqual(ids('refDevice==urn:x:2'), ['c'], 'a list attribute matches on any item');
  t.deepEqual(ids('location[type]=="Point"'), ['c'], 'compound path into a value');
});

test('ngsi query — malformed queries say where and why', (t) => {
  for (const [q, why] of [
    ['', /empty query/],
    ['fillingLevel>', /expected a value/],
    ['(status=="ok"', /expected "\)"/],
    ['status=="ok" extra', /unexpected/],
    ['fillingLevel>1,2', /a list needs == or !=/],
    ['status~="("', /bad regular expression/],
    ['"x"==1', /expected an attribute name/],
  ] as const)
    t.throws(() => parseQuery(q), { instanceOf: NgsiQueryError, message: why }, q);
});

test('ngsi entities — fill trend finds the last emptying and predicts 100 % from the run after it', (t) => {
  const H = 3_600_000;
  const points = [
    ...[0, 1, 2, 3].map((h) => ({ timeMs: h * H, pct: 60 + h * 10 })), // 60..90, then emptied
    ...[4, 5, 6, 7, 8].map((h) => ({ timeMs: h * H, pct: 10 + (h - 4) * 5 })), // 10..30, 5 %/h
  ];
  const trend = fillTrend(points);
  t.is(trend.lastEmptyingMs, 4 * H);
  t.is(trend.predictedFullMs, 4 * H + 18 * H); // 10 % at 4 h, +90 % at 5 %/h
  t.deepEqual(fillTrend(points.slice(0, 2)), {}, 'too little history: no prediction');
  t.deepEqual(
    fillTrend([0, 1, 2, 3].map((h) => ({ timeMs: h * H, pct: 50 - h }))),
    {},
    'falling: no prediction',
  );
});
