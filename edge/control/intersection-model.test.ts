import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ConfigError } from '../config/config-error.js';
import { checkEdgeConfig } from '../config/load-config.js';
import { modelFromConfig, pedestrianClearanceS } from './intersection-model.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/madrid-street.json');
type Json = Record<string, unknown>;

/** The example site with its intersection changed by `edit`. */
function site(edit: (x: Json & { signalGroups: Json[] }) => void): unknown {
  const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as {
    intersections: (Json & { signalGroups: Json[] })[];
  };
  edit(raw.intersections[0]!);
  return raw;
}

const problems = (raw: unknown): string[] => {
  try {
    checkEdgeConfig(raw, '/etc/calle/site.json');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.field}: ${p.reason}`);
  }
};

test('intersection model — clearance is crossing length / 1.07 m/s, whole seconds, never below 3 s', (t) => {
  t.is(pedestrianClearanceS(12), 12); // 11.2 → 12
  t.is(pedestrianClearanceS(10.7), 10);
  t.is(pedestrianClearanceS(2), 3);
});

test('intersection model — the site file takes mode, group detectors, walk, crossing and intergreens', (t) => {
  const raw = site((x) => {
    x.signalGroups[0]!.detectors = ['det-w', 'det-e'];
    x.signalGroups[2]!.crossingM = 12;
    x.signalGroups[3]!.walkS = 9;
    x.intergreen = [{ from: 'veh-ns', to: 'veh-ew', s: 7 }];
    x.control = { mode: 'actuated', passageS: 2.5 };
  });
  t.deepEqual(problems(raw), []);
  const cfg = checkEdgeConfig(raw, '/etc/calle/site.json').intersections[0]!;
  t.deepEqual(cfg.control, { mode: 'actuated', passageS: 2.5, adaptEveryCycles: 3 });
  const m = modelFromConfig(cfg);
  const g = (id: string) => m.groups.find((x) => x.id === id)!;
  t.like(g('veh-ew'), { detectors: ['det-w', 'det-e'], minGreenS: 7, maxGreenS: 40, changeS: 3 });
  t.like(g('walk-ew'), { changeS: 12, minGreenS: 7 });
  t.like(g('walk-ns'), { minGreenS: 9, changeS: 3 });
  t.is(m.intergreenS['veh-ns>veh-ew'], 7);
  t.is(m.intergreenS['veh-ew>veh-ns'], 5, 'the other direction keeps yellow + all-red');
  t.is(m.intergreenS['walk-ew>veh-ns'], 14, 'clearance + all-red');
});

test('intersection model — the loader names the field and the reason for each bad setting', (t) => {
  const raw = site((x) => {
    x.signalGroups[0]!.detectors = ['det-nowhere'];
    x.signalGroups[2]!.crossingM = 40; // 38 s of clearance cannot fit a 40 s stage with a 7 s walk
    x.intergreen = [{ from: 'veh-ew', to: 'walk-ew', s: 6 }];
    x.control = { mode: 'clever' };
  });
  const p = problems(raw);
  t.true(
    p.some((x) =>
      /signalGroups\[0\]\.detectors\[0\]: "det-nowhere" is not in this intersection's detectors/.test(x),
    ),
    p.join('\n'),
  );
  t.true(
    p.some((x) => /intergreen\[0\]: "veh-ew" and "walk-ew" do not conflict/.test(x)),
    p.join('\n'),
  );
  t.true(
    p.some((x) => /control\.mode: "clever" must be one of "fixed-time", "actuated", "adaptive"/.test(x)),
    p.join('\n'),
  );

  const short = problems(site((x) => void (x.signalGroups[2]!.crossingM = 40)));
  t.deepEqual(short, [
    'intersections[0].plan.stages[0].greenS: 40 s is shorter than the 42 s "walk-ew" needs (min green/walk 7 s + clearance 38 s − yellow 3 s)',
  ]);
});
