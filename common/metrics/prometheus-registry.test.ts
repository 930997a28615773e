import test from 'ava';
import { Registry } from './prometheus-registry.js';
import { parseExposition, sampleValue } from './testing/exposition-parser.js';

test('prometheus registry — escapes HELP and label values per the exposition format', (t) => {
  const r = new Registry();
  const c = r.counter('calle_test_total', 'a help with \\ backslash\nand newline');
  c.inc({ path: 'C:\\dir "quoted"\nnext' }, 2);
  const text = r.render();
  t.true(text.includes('# HELP calle_test_total a help with \\\\ backslash\\nand newline\n'));
  t.true(text.includes('calle_test_total{path="C:\\\\dir \\"quoted\\"\\nnext"} 2\n'));
  const parsed = parseExposition(text);
  t.is(parsed.get('calle_test_total')?.help, 'a help with \\ backslash\nand newline');
  t.is(sampleValue(parsed, 'calle_test_total', { path: 'C:\\dir "quoted"\nnext' }), 2);
});

test('prometheus registry — histogram buckets are cumulative with +Inf equal to _count', (t) => {
  const r = new Registry();
  const h = r.histogram('calle_test_seconds', 'durations', [0.1, 0.5, 1]);
  for (const v of [0.05, 0.1, 0.3, 0.7, 5]) h.observe(v);
  const parsed = parseExposition(r.render());
  const bucket = (le: string): number | undefined =>
    sampleValue(parsed, 'calle_test_seconds', { le }, 'calle_test_seconds_bucket');
  t.is(bucket('0.1'), 2, 'le is inclusive');
  t.is(bucket('0.5'), 3);
  t.is(bucket('1'), 4);
  t.is(bucket('+Inf'), 5);
  t.is(sampleValue(parsed, 'calle_test_seconds', {}, 'calle_test_seconds_count'), 5);
  t.is(sampleValue(parsed, 'calle_test_seconds', {}, 'calle_test_seconds_sum'), 0.05 + 0.1 + 0.3 + 0.7 + 5);
});

test('prometheus registry — refuses bad names, reserved labels, decreasing counters and duplicates', (t) => {
  const r = new Registry();
  t.throws(() => r.counter('1bad', 'x'), { message: /not a valid Prometheus metric name/ });
  const c = r.counter('calle_ok_total', 'x');
  t.throws(() => r.counter('calle_ok_total', 'x'), { message: /registered twice/ });
  t.throws(() => c.inc({}, -1), { message: /cannot go down/ });
  t.throws(() => c.inc({ 'bad-label': 'x' }), { message: /label name "bad-label"/ });
  t.throws(() => r.histogram('calle_h', 'x', [1, 1]), { message: /increase strictly/ });
});

test('prometheus registry — a failing collector drops only its own family', (t) => {
  const r = new Registry();
  r.collected('calle_broken', 'x', 'gauge', () => {
    throw new Error('store closed');
  });
  r.collected('calle_fine', 'x', 'gauge', () => [{ value: 3 }]);
  const failed: string[] = [];
  const parsed = parseExposition(r.render((name) => failed.push(name)));
  t.deepEqual(failed, ['calle_broken']);
  t.false(parsed.has('calle_broken'));
  t.is(sampleValue(parsed, 'calle_fine'), 3);
});

test('exposition parser — rejects samples outside their family and non-cumulative buckets', (t) => {
  t.throws(() => parseExposition('x 1\n'), { message: /outside its family/ });
  t.throws(() => parseExposition('# HELP x h\n# TYPE x counter\ny 1\n'), { message: /outside/ });
  t.throws(
    () =>
      parseExposition(
        '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      ),
    { message: /not cumulative/ },
  );
  t.throws(() => parseExposition('# HELP x h\n# TYPE x gauge\nx{a="\\q"} 1\n'), { message: /bad escape/ });
});
