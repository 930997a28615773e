import test from 'ava';
import { versionStanding, type VersionStanding } from './policy-version.js';

test('policy version — each standing against the floor and the running version', (t) => {
  const cases: [version: number, floor: number, running: number | undefined, standing: VersionStanding][] = [
    [0, 0, undefined, 'invalid'],
    [-3, 0, undefined, 'invalid'],
    [1.5, 0, undefined, 'invalid'],
    [Number.NaN, 0, undefined, 'invalid'],
    [1, 0, undefined, 'newer'],
    [4, 5, undefined, 'older'],
    [5, 5, undefined, 'floor'],
    [6, 5, undefined, 'newer'],
    // The running version below the floor (a newer one was refused on bounds) is still running:
    // a refresh of it must reach the content check, not be refused as a replay.
    [4, 5, 4, 'running'],
    [5, 5, 5, 'running'],
  ];
  for (const [version, floor, running, standing] of cases)
    t.is(
      versionStanding(version, floor, running),
      standing,
      `${version} against ${floor}, running ${running}`,
    );
});
