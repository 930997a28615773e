import test from 'ava';
import { mulberry32, normal } from '../../common/random/seeded-random.js';
import { WasteForecaster, type WasteForecast } from './waste-forecast.js';

const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');

/** Feeds container 0 one fill an hour, going on from the last call; a drop of 0.1 is an emptying. */
class Feeder {
  hour = 0;
  last = Number.NaN;
  constructor(readonly f: WasteForecaster) {}

  feed(fills: number[], threshold = 0.8): WasteForecast[] {
    return fills.map((fill) => {
      const outcome = this.last - fill >= 0.1 ? 'emptied' : 'accepted';
      this.last = fill;
      return this.f.update(0, T0 + this.hour++ * H, fill, outcome, threshold);
    });
  }
}

const cycle = (rate: number, hours: number, start = 0.05) =>
  Array.from({ length: hours }, (_, h) => start + rate * h);

test('waste forecast — a steady container is forecast full when it is full', (t) => {
  const f = new Feeder(new WasteForecaster(1));
  const out = f.feed(cycle(0.01, 40));
  // 0.44 now, 0.36 to go at 0.01/h.
  t.true(Math.abs(out.at(-1)!.ttfHours! - 36) < 0.5, `${out.at(-1)!.ttfHours}`);
  t.true(out.at(-1)!.lowHours! < 36 && out.at(-1)!.highHours! > 36);
  t.like(f.feed([0.85])[0], { ttfHours: 0, lowHours: 0, highHours: 0 });
});

test('waste forecast — the prior learned over past cycles carries the first hours after an emptying', (t) => {
  const burst = [0.05, 0.1, 0.12]; // a bag of 5 % in the first hour
  const fresh = new Feeder(new WasteForecaster(1));
  t.true(fresh.feed(burst).at(-1)!.ratePerHour! > 0.03, 'a new container has only the burst to go by');

  const f = new Feeder(new WasteForecaster(1));
  for (let c = 0; c < 3; c++) f.feed(cycle(0.01, 80));
  const rate = f.feed(burst).at(-1)!.ratePerHour!;
  t.true(rate > 0.009 && rate < 0.0125, `rate ${rate}`);
});

test('waste forecast — a container that will not fill within the horizon gets no time', (t) => {
  const f = new Feeder(new WasteForecaster(1, { horizonHours: 24 * 30 }));
  const out = f.feed(cycle(0.0001, 48));
  t.true(out.at(-1)!.ratePerHour! > 0);
  t.is(out.at(-1)!.ttfHours, undefined);
  t.is(out.at(-1)!.highHours, undefined);
});

test('waste forecast — the stated 80 % interval holds about 80 % of full times on cycles of varying pace', (t) => {
  const rand = mulberry32(11);
  const forecaster = new WasteForecaster(1);
  const f = new Feeder(forecaster);
  let scored = 0;
  let held = 0;
  for (let c = 0; c < 80; c++) {
    // Each cycle fills at its own pace: log-normal around 0.01/h, σ 0.35.
    const rate = 0.01 * Math.exp(0.35 * normal(rand));
    const fills = cycle(rate, Math.ceil(0.85 / rate));
    const out = f.feed(fills);
    const fullAt = fills.findIndex((x) => x >= 0.8);
    if (c >= 30)
      out.forEach((o, k) => {
        if (k >= fullAt || o.ttfHours === undefined) return;
        scored++;
        const actual = fullAt - k;
        if (actual >= o.lowHours! && actual <= (o.highHours ?? Infinity)) held++;
      });
  }
  const coverage = held / scored;
  t.true(coverage > 0.72 && coverage < 0.88, `coverage ${coverage} over ${scored}`);
  t.true(forecaster.calibration.count > 1000);
});

test('waste forecast — forecasts of a cycle emptied before full are never scored', (t) => {
  const forecaster = new WasteForecaster(1);
  const f = new Feeder(forecaster);
  f.feed([...cycle(0.01, 50), 0.05, 0.06]);
  t.is(forecaster.calibration.count, 0);
  f.feed(cycle(0.01, 80, 0.07));
  t.true(forecaster.calibration.count > 50);
});

test('waste forecast — bad parameters are refused with the key named', (t) => {
  t.throws(() => new WasteForecaster(1, { level: 1 }), { message: /level must be in \(0, 1\), got 1/ });
  t.throws(() => new WasteForecaster(1, { cycleWeight: 0 }), { message: /cycleWeight must be in \(0, 1\]/ });
  t.throws(() => new WasteForecaster(1, { priorHours: -1 }), {
    message: /priorHours must be a finite number ≥ 0/,
  });
});

test('waste forecast — a long cycle keeps a bounded sample of its forecasts', (t) => {
  const forecaster = new WasteForecaster(1);
  // 0.75 over 3000 hours: four months of hourly readings in one cycle.
  new Feeder(forecaster).feed(cycle(0.00025, 3001));
  t.true(
    forecaster.calibration.count >= 256 && forecaster.calibration.count <= 512,
    `${forecaster.calibration.count}`,
  );
});
