// The budget benchmark's site (issue #4): 2,000 luminaires in 40 groups, 4 four-arm intersections
// with 8 signal groups and 16 detectors each (32 groups, 64 detectors), and 500 containers, all on
// simulated drivers. Built as raw JSON and passed through the real configuration checker, so the
// benchmark runs exactly what a site file with these numbers would.
import { checkEdgeConfig } from '../config/load-config.js';
import type { EdgeConfig } from '../config/edge-config.js';

export interface SyntheticSiteSize {
  luminaires: number;
  luminairesPerGroup: number;
  intersections: number;
  containers: number;
}

export const BUDGET_SITE: SyntheticSiteSize = {
  luminaires: 2000,
  luminairesPerGroup: 50,
  intersections: 4,
  containers: 500,
};

const ARMS = ['n', 'e', 's', 'w'] as const;
const DETECTORS_PER_ARM = 4;

export function syntheticSite(size: SyntheticSiteSize, storePath: string): EdgeConfig {
  const devices: unknown[] = [];
  const lightingGroups: unknown[] = [];
  const intersections: unknown[] = [];
  const containers: unknown[] = [];

  for (let x = 0; x < size.intersections; x++) {
    const id = `x${x}`;
    const signalGroups: unknown[] = [];
    const detectors: string[] = [];
    for (const arm of ARMS) {
      const armDetectors: string[] = [];
      for (let d = 0; d < DETECTORS_PER_ARM; d++) {
        const det = `${id}-det-${arm}${d}`;
        armDetectors.push(det);
        devices.push({
          id: det,
          type: 'inductive-loop',
          driver: 'simulated',
          params: { ratePerHour: 300 + 40 * d },
        });
      }
      detectors.push(...armDetectors);
      devices.push({ id: `${id}-sig-${arm}`, type: 'vehicle-signal-3', driver: 'simulated' });
      devices.push({ id: `${id}-ped-${arm}`, type: 'pedestrian-signal', driver: 'simulated' });
      signalGroups.push({
        id: `veh-${arm}`,
        head: `${id}-sig-${arm}`,
        kind: 'vehicle',
        detectors: armDetectors,
      });
      signalGroups.push({ id: `walk-${arm}`, head: `${id}-ped-${arm}`, kind: 'pedestrian' });
    }
    // East-west traffic with its parallel crossings, then north-south: every member of one
    // stage conflicts with every member of the other.
    const stageA = ['veh-e', 'veh-w', 'walk-e', 'walk-w'];
    const stageB = ['veh-n', 'veh-s', 'walk-n', 'walk-s'];
    intersections.push({
      id,
      name: `Intersection ${x}`,
      signalGroups,
      conflicts: stageA.flatMap((a) => stageB.map((b) => [a, b])),
      detectors,
      control: { mode: x % 2 === 0 ? 'actuated' : 'adaptive', passageS: 3, adaptEveryCycles: 3 },
      plan: {
        cycleS: 80,
        yellowS: 3,
        allRedS: 2,
        minGreenS: 7,
        stages: [
          { groups: stageA, greenS: 40 },
          { groups: stageB, greenS: 30 },
        ],
      },
    });
  }

  const groups = Math.ceil(size.luminaires / size.luminairesPerGroup);
  for (let g = 0; g < groups; g++) {
    const luminaires: string[] = [];
    for (
      let i = g * size.luminairesPerGroup;
      i < Math.min(size.luminaires, (g + 1) * size.luminairesPerGroup);
      i++
    ) {
      const id = `lum-${String(i).padStart(4, '0')}`;
      luminaires.push(id);
      devices.push({ id, type: 'dali-led-luminaire', driver: 'simulated' });
    }
    // Half the groups adapt their class to the traffic of an intersection's approach, per minute
    // (15 min in a street) so that class changes happen within the benchmark's window.
    const x = g % size.intersections;
    const arm = ARMS[Math.floor(g / size.intersections) % ARMS.length]!;
    const adaptive = g % 2 === 0 && size.intersections > 0;
    lightingGroups.push({
      id: `street-${g}`,
      name: `Street ${g}`,
      luminaires,
      lightingClass: g % 3 === 0 ? 'P3' : 'M3',
      detectors: adaptive ? [`x${x}-det-${arm}0`, `x${x}-det-${arm}1`] : [],
      ...(adaptive ? { adaptive: { otherWeights: 2, capacityVehPerHour: 1500, periodMin: 1 } } : {}),
      fadeS: 5,
    });
  }

  for (let c = 0; c < size.containers; c++) {
    const sensor = `fill-${String(c).padStart(3, '0')}`;
    devices.push({ id: sensor, type: 'ultrasonic-fill', driver: 'simulated', params: { depthCm: 150 } });
    containers.push({ id: `cont-${String(c).padStart(3, '0')}`, sensor, depthCm: 150 });
  }

  return checkEdgeConfig(
    {
      edge: { id: 'bench-01', district: 'centro', tags: ['bench'], latitude: 40.4125, longitude: -3.6995 },
      store: { path: storePath },
      telemetry: { intervalS: 5 },
      devices,
      lightingGroups,
      intersections,
      containers,
    },
    storePath,
  );
}
