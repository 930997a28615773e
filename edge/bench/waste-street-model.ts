// Simulated hourly fill series of a district's containers, for the waste benchmark
// (./waste-bench.ts): what the forecaster must learn is in the data, drawn per container from the
// seed, never told to it.
//
// From REFERENCE §4: ultrasonic sensors reporting hourly, 11.8 % "no echo" readings at the top of
// the range (254 cm), 1.35 % isolated spikes, 1 cm resolution, distance converted at the speed of
// sound for 20 °C (331.3 + 0.606·T m/s), bursty filling, a median 3.5 cm/day for glass and an
// emptying about every 9.5 days. Beyond it, the behaviour the issue asks the forecaster to learn,
// with magnitudes chosen as plausible, not measured (no licensed hourly series exists, see
// hil-tests/data/README.md):
//   - use follows the hour of the day (people are awake; glass banks by day only) and the day of
//     the week (a park bin fills at weekends, an office street's on weekdays), per container;
//   - street litter grows with the weather (warm days bring people out) and on event days;
//   - each container's mean rate drifts slowly (a random walk in its logarithm);
//   - collections follow a round (every few days at a morning hour, sometimes skipped) and a crew is
//     called some hours after a container passes 90 %;
//   - LoRaWAN loses ~3 % of uplinks; a fifth of the sensors report no temperature.
// Times are UTC and the street's clock is UTC: a day-of-week pattern is a UTC one.
import { exponential, mulberry32, normal } from '../../common/random/seeded-random.js';

const HOUR_MS = 3_600_000;
const NO_ECHO_CM = 254;
const NO_ECHO_P = 0.118;
const SPIKE_P = 0.0135;
const LOSS_P = 0.03;
const CALIBRATION_C = 20;
const speedOfSound = (tempC: number): number => 331.3 + 0.606 * tempC;

export interface StreetReading {
  readonly timeMs: number;
  /** As the sensor sends it: cm at the speed of sound for 20 °C, 1 cm steps, 254 = no echo. */
  readonly distanceCm: number;
  /** °C at the sensor; NaN for a sensor without a thermometer. */
  readonly temperatureC: number;
  /** What is really in the container, fraction of the depth (for scoring only). */
  readonly trueFill: number;
}

export interface StreetEmptying {
  readonly timeMs: number;
  /** True fill fraction before and after. */
  readonly before: number;
  readonly after: number;
}

export interface StreetContainer {
  readonly id: string;
  readonly kind: 'litter' | 'mixed' | 'glass';
  readonly depthCm: number;
  readonly fullThreshold: number;
  readonly readings: readonly StreetReading[];
  readonly emptyings: readonly StreetEmptying[];
}

interface Kind {
  readonly depth: [number, number];
  /** Median cm/day and the log-normal spread of container means. */
  readonly cmPerDay: number;
  readonly spread: number;
  /** Deposits per day at the mean rate (fewer: burstier). */
  readonly depositsPerDay: number;
  /** Hours between rounds to choose from. */
  readonly roundsDays: readonly number[];
  /** Rate change per °C of the day's mean above 15 °C, drawn up to this. */
  readonly warmthPerC: number;
  readonly eventDayP: number;
}

const KINDS: Record<StreetContainer['kind'], Kind> = {
  litter: {
    depth: [80, 120],
    cmPerDay: 22,
    spread: 0.45,
    depositsPerDay: 40,
    roundsDays: [2, 3, 4],
    warmthPerC: 0.04,
    eventDayP: 1 / 25,
  },
  mixed: {
    depth: [110, 160],
    cmPerDay: 14,
    spread: 0.4,
    depositsPerDay: 12,
    roundsDays: [4, 7],
    warmthPerC: 0.01,
    eventDayP: 0,
  },
  glass: {
    depth: [140, 160],
    cmPerDay: 9,
    spread: 0.4,
    depositsPerDay: 4,
    roundsDays: [7, 10, 14],
    warmthPerC: 0,
    eventDayP: 0,
  },
};

/** A container's hour-of-day shape: a night floor and two or three daytime bumps. */
function hourShape(rand: () => number, kind: StreetContainer['kind']): number[] {
  const bumps =
    kind === 'glass'
      ? [{ at: 11 + 4 * rand(), width: 3 + 2 * rand(), weight: 1 }]
      : [
          { at: 7.5 + rand(), width: 1 + rand(), weight: 0.3 + rand() },
          { at: 12 + 2 * rand(), width: 1.5 + rand(), weight: 0.3 + rand() },
          { at: 17 + 3 * rand(), width: 1.5 + 1.5 * rand(), weight: 0.3 + rand() },
        ];
  const night = kind === 'glass' ? 0.02 : 0.05 + 0.15 * rand();
  const shape = Array.from({ length: 24 }, (_, h) =>
    bumps.reduce((s, b) => s + b.weight * Math.exp(-(((h + 0.5 - b.at) / b.width) ** 2) / 2), night),
  );
  const mean = shape.reduce((a, b) => a + b, 0) / 24;
  return shape.map((x) => x / mean);
}

/** A container's day-of-week factors (Monday first), mean 1. */
function dayShape(rand: () => number): number[] {
  const weekend = 0.5 + 1.3 * rand();
  const friday = 0.9 + 0.4 * rand();
  const days = [1, 1, 1, 1, friday, weekend, weekend * (0.7 + 0.4 * rand())].map(
    (x) => x * (0.9 + 0.2 * rand()),
  );
  const mean = days.reduce((a, b) => a + b, 0) / 7;
  return days.map((x) => x / mean);
}

export interface StreetModelOptions {
  readonly seed: number;
  readonly containers: number;
  readonly days: number;
  /** Simulated start; default a Monday 00:00 UTC in spring. */
  readonly startMs?: number;
}

/** One district: `containers` containers over `days` days, hourly readings. */
export function streetSeries(o: StreetModelOptions): StreetContainer[] {
  const rand = mulberry32(o.seed * 7919 + 17);
  const startMs = o.startMs ?? Date.UTC(2025, 2, 3);
  // The district's weather: a seasonal mean that drifts, a daily swing, weather spells.
  const seasonC = 6 + 14 * rand();
  const seasonSlopePerDay = (rand() - 0.3) * 0.15;
  const spells = Array.from({ length: o.days + 1 }, () => 0);
  for (let d = 1; d <= o.days; d++) spells[d] = 0.8 * spells[d - 1]! + 2 * normal(rand);
  const airC = (h: number): number => {
    const d = Math.floor(h / 24);
    return seasonC + seasonSlopePerDay * d + spells[d]! + 6 * Math.sin((2 * Math.PI * ((h % 24) - 9)) / 24);
  };
  const dayMeanC = (d: number): number => seasonC + seasonSlopePerDay * d + spells[d]!;

  const kinds: StreetContainer['kind'][] = ['litter', 'mixed', 'glass'];
  const out: StreetContainer[] = [];
  for (let c = 0; c < o.containers; c++) {
    const kindName = kinds[c % 3]!;
    const kind = KINDS[kindName];
    const depthCm = Math.round(kind.depth[0] + (kind.depth[1] - kind.depth[0]) * rand());
    const fullThreshold = [0.75, 0.8, 0.85][Math.floor(rand() * 3)]!;
    const hours = hourShape(rand, kindName);
    const days = dayShape(rand);
    const meanCmPerHour = (kind.cmPerDay * Math.exp(kind.spread * normal(rand))) / 24;
    const warmth = kind.warmthPerC * rand();
    const hasThermometer = rand() > 0.2;
    const minuteMs = Math.floor(rand() * 60) * 60_000;
    const roundDays = kind.roundsDays[Math.floor(rand() * kind.roundsDays.length)]!;
    const roundHour = 6 + Math.floor(rand() * 5);
    let nextRoundH = roundHour + 24 * Math.floor(rand() * roundDays);
    let calledAtH = Number.POSITIVE_INFINITY;
    let drift = 0;
    let eventFactor = 1;
    let wasteCm = rand() * 0.3 * depthCm;
    const readings: StreetReading[] = [];
    const emptyings: StreetEmptying[] = [];
    const empty = (h: number) => {
      const before = wasteCm / depthCm;
      wasteCm = rand() * 3;
      // Between the readings of hours h − 1 and h.
      emptyings.push({ timeMs: startMs + (h + 0.5) * HOUR_MS + minuteMs, before, after: wasteCm / depthCm });
      calledAtH = Number.POSITIVE_INFINITY;
    };
    for (let h = 0; h < o.days * 24; h++) {
      const day = Math.floor(h / 24);
      if (h % 24 === 0) {
        drift = 0.97 * drift + 0.06 * normal(rand);
        eventFactor = rand() < kind.eventDayP ? 2 + rand() : 1;
      }
      const weekday = (day + 0) % 7; // startMs is a Monday
      const rateCmPerHour =
        meanCmPerHour *
        hours[h % 24]! *
        days[weekday]! *
        Math.exp(drift) *
        Math.max(0.3, 1 + warmth * (dayMeanC(day) - 15)) *
        eventFactor;
      // Bursty: Poisson deposits in the hour, each an exponential amount.
      const depositsPerHour = (kind.depositsPerDay / 24) * (rateCmPerHour / (meanCmPerHour || 1));
      const sizeCm = meanCmPerHour / (kind.depositsPerDay / 24);
      for (let t = exponential(rand, 1 / depositsPerHour); t < 1; t += exponential(rand, 1 / depositsPerHour))
        wasteCm += exponential(rand, sizeCm);
      wasteCm = Math.min(wasteCm, depthCm);
      // Collections: the round (one in ten skipped), or a crew called 4–36 h after 90 %.
      if (h === nextRoundH) {
        if (rand() > 0.1) empty(h);
        nextRoundH += roundDays * 24 + Math.round(2 * normal(rand));
      } else if (h >= calledAtH) empty(h);
      if (wasteCm / depthCm >= 0.9 && calledAtH === Number.POSITIVE_INFINITY)
        calledAtH = h + 4 + Math.floor(32 * rand());

      if (rand() < LOSS_P) continue;
      const air = airC(h) + 0.7 * normal(rand);
      const trueFill = wasteCm / depthCm;
      const r = rand();
      let distanceCm: number;
      if (r < NO_ECHO_P) distanceCm = NO_ECHO_CM;
      else if (r < NO_ECHO_P + SPIKE_P) distanceCm = Math.round(rand() * depthCm);
      else {
        const measured = ((depthCm - wasteCm) * speedOfSound(CALIBRATION_C)) / speedOfSound(air);
        distanceCm = Math.max(0, Math.min(255, Math.round(measured)));
      }
      readings.push({
        timeMs: startMs + (h + 1) * HOUR_MS + minuteMs,
        distanceCm,
        temperatureC: hasThermometer ? Math.round(air) : Number.NaN,
        trueFill,
      });
    }
    out.push({ id: `s${o.seed}-${c}`, kind: kindName, depthCm, fullThreshold, readings, emptyings });
  }
  return out;
}
