// Where a policy's version stands: the one place a version is judged. Versions are fleet-wide and
// only grow (a rollback is published as a new, higher version), so a bundle is one of:
//   - not a version at all (not a positive integer);
//   - older than the floor: the newest version this edge has accepted before (the trust floor,
//     persisted: TUF's rollback attack; or, for a site run without trust, the applied version);
//   - the version the site runs: a re-delivery, an older copy or a refresh (content decides);
//   - the floor itself but not running (authenticated before, then refused on bounds, or a crash
//     between trust and apply): whether it may pass depends on its content being the one trusted;
//   - newer than the floor.
// Before, the trust gate, the intake and the site's bounds check each compared versions, with
// three wordings for one refusal; the pipeline (policy-pipeline.ts) now asks here once.
import { part, type ReasonPart } from '../../common/reasons/reason.js';

export type VersionStanding = 'invalid' | 'older' | 'running' | 'floor' | 'newer';

/** `version` against `floor` and the version the site runs (undefined: built-in defaults). */
export function versionStanding(
  version: number,
  floor: number,
  running: number | undefined,
): VersionStanding {
  if (!Number.isSafeInteger(version) || version <= 0) return 'invalid';
  if (running !== undefined && version === running) return 'running';
  if (version < floor) return 'older';
  return version === floor ? 'floor' : 'newer';
}

/** The refusal of an invalid version (`version: …`, as every policy problem names its field). */
export function invalidVersion(version: number): ReasonPart {
  return part('policy.positive', { field: 'version', value: String(version) });
}

/** The refusal of a version older than the trust floor: a replay. */
export function replayedVersion(version: number, floor: number): ReasonPart {
  return part('policy.replay', { version, trusted: floor });
}

/** The refusal of a version not above the applied one, for a site run without the trust gate. */
export function notNewerVersion(version: number, applied: number): ReasonPart {
  return part('policy.notNewer', { field: 'version', version, applied });
}
