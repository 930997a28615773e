import test from 'ava';
import { WasteController, type WasteStepResult } from './waste-controller.js';

const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');

/** Container "a" (100 cm, full at 0.9) filled 1 cm an hour from empty, one reading an hour. */
function filling(
  engine: 'wasm' | 'twin',
  hours: number,
  extra: (h: number) => number | undefined = () => undefined,
) {
  const w = new WasteController(
    [
      { id: 'a', depthCm: 100, fullThreshold: 0.9 },
      { id: 'b', depthCm: 150, fullThreshold: 0.8 },
    ],
    { engine },
  );
  let last: WasteStepResult[] = [];
  for (let h = 0; h <= hours; h++) {
    w.observe('a', extra(h) ?? 100 - h);
    last = w.step(T0 + h * H);
  }
  return { w, last };
}

test('waste controller — distance becomes fill, and the full time is predicted with an interval', (t) => {
  const { last } = filling('wasm', 30);
  t.is(last.length, 1, 'only the container with a reading reports');
  const r = last[0]!;
  t.is(r.outcome, 'accepted');
  t.true(Math.abs(r.fill! - 0.3) < 1e-9);
  // 0.6 to go at 0.01/h: 60 h after the last reading.
  t.true(Math.abs(r.fullAtMs! - (T0 + 90 * H)) < 60_000, new Date(r.fullAtMs!).toISOString());
  t.true(r.fullLowMs! < r.fullAtMs! && r.fullAtMs! < r.fullHighMs!);
  t.false(r.full);
});

test('waste controller — the WASM kernel and the TypeScript twin give the same predictions', (t) => {
  const a = filling('wasm', 40, (h) => (h % 7 === 3 ? 254 : undefined));
  const b = filling('twin', 40, (h) => (h % 7 === 3 ? 254 : undefined));
  t.deepEqual(a.w.prediction('a'), b.w.prediction('a'));
});

test('waste controller — no echo is ignored, a spike is held, an emptying is reported', (t) => {
  const w = new WasteController([{ id: 'a', depthCm: 100, fullThreshold: 0.9 }], { engine: 'twin' });
  const at = (h: number, d: number) => {
    w.observe('a', d);
    return w.step(T0 + h * H)[0]!;
  };
  at(0, 50);
  t.like(at(1, 254), { outcome: 'invalid', fill: 0.5 });
  t.like(at(2, 5), { outcome: 'held', fill: 0.5 }, 'a jump to 95 % waits for confirmation');
  t.like(at(3, 49), { outcome: 'accepted', fill: 0.51 });
  t.like(at(4, 95), { outcome: 'held' });
  t.like(at(5, 96), { outcome: 'emptied', emptied: true, fill: 0.04 });
});

test('waste controller — temperature compensation moves the fill the way the speed of sound says', (t) => {
  const w = new WasteController([{ id: 'a', depthCm: 100, fullThreshold: 0.9 }], { engine: 'wasm' });
  w.observe('a', 50, 20);
  t.true(Math.abs(w.step(T0)[0]!.fill! - 0.5) < 1e-12, 'no correction at the reference 20 °C');
  const w2 = new WasteController([{ id: 'a', depthCm: 100, fullThreshold: 0.9 }], { engine: 'wasm' });
  w2.observe('a', 50, 40);
  // Warmer air: sound is faster, the true distance longer, the fill lower (≈ 1.8 mm/°C/m).
  const f = w2.step(T0)[0]!.fill!;
  t.true(f < 0.5 && f > 0.48, `fill ${f}`);
});

test('waste controller — overflow raises at the full threshold and clears only below its hysteresis', (t) => {
  const w = new WasteController([{ id: 'a', depthCm: 100, fullThreshold: 0.9 }], { engine: 'twin' });
  const seq = [20, 15, 11, 10, 9, 10, 12, 14, 16];
  const states = seq.map((d, h) => {
    w.observe('a', d);
    const r = w.step(T0 + h * H)[0]!;
    return `${r.fill!.toFixed(2)} ${r.full ? 'full' : '-'}${r.fullChanged ? ' !' : ''}`;
  });
  t.deepEqual(states, [
    '0.80 -',
    '0.85 -',
    '0.89 -',
    '0.90 full !',
    '0.91 full',
    '0.90 full',
    '0.88 full', // inside the hysteresis: no flapping
    '0.86 full',
    '0.84 - !',
  ]);
});

test('waste controller — the collection list holds full, above-policy and soon-full containers, soonest first', (t) => {
  const specs = ['full', 'high', 'soon', 'later', 'silent'].map((id) => ({
    id,
    depthCm: 100,
    fullThreshold: 0.9,
  }));
  const w = new WasteController(specs, { engine: 'wasm' });
  // Over 10 h: "full" reaches 92 %, "high" 82 % slowly, "soon" 70 % fast, "later" 20 % slowly.
  const path = { full: [80, 8], high: [20, 18], soon: [70, 30], later: [82, 80] } as const;
  for (let h = 0; h <= 10; h++) {
    for (const [id, [from, to]] of Object.entries(path)) w.observe(id, from + ((to - from) * h) / 10);
    w.step(T0 + h * H);
  }
  const list = w.collectionList(T0 + 10 * H, 24 * H, 0.8);
  t.deepEqual(
    list.map((c) => [c.containerId, c.reason]),
    [
      ['full', 'full'],
      ['soon', 'due within horizon'],
      ['high', 'above collect_at_fill'],
    ],
  );
  t.true(list[1]!.fullAtMs! < T0 + 34 * H);
});

test('waste controller — bad container specs and unknown containers are refused by name', (t) => {
  t.throws(() => new WasteController([{ id: 'a', depthCm: 0, fullThreshold: 0.9 }]), {
    message: 'containers[0].depthCm: 0 is not a positive number of cm',
  });
  t.throws(() => new WasteController([{ id: 'a', depthCm: 10, fullThreshold: 1.5 }]), {
    message: 'containers[0].fullThreshold: 1.5 is outside (0, 1]',
  });
  const w = new WasteController([{ id: 'a', depthCm: 10, fullThreshold: 0.9 }]);
  t.throws(() => w.observe('z', 5), { message: 'container "z" is not configured' });
  t.deepEqual(w.step(T0), [], 'no reading, no step');
});
