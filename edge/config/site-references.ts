// References from the site's groups, intersections and containers to its devices: each must name
// a device that exists and is of the right kind, and a device is driven by one owner only — a
// luminaire in two groups, or a head on two signal groups, would have two loops fighting over it.
// Detectors are the exception: reading is not owning, so lighting and an intersection may share one.
import type { DeviceKind } from '../devices/device-view.js';
import type { DeviceIndex } from './device-checks.js';
import { at, itemsOf, type ProblemList } from './problem-list.js';

export class SiteReferences {
  readonly #problems: ProblemList;
  readonly #devices: DeviceIndex;
  readonly #owner = new Map<string, string>();

  constructor(problems: ProblemList, devices: DeviceIndex) {
    this.#problems = problems;
    this.#devices = devices;
  }

  /** The device id at `path` if it exists and is a `kind`; otherwise reported and undefined. */
  device(v: unknown, path: string, kind: DeviceKind): string | undefined {
    const id = this.#problems.text(v, path);
    if (id === undefined) return undefined;
    if (!this.#devices.ids.has(id)) return this.#problems.fail(path, `unknown device "${id}"`);
    const actual = this.#devices.kinds.get(id);
    if (actual !== undefined && actual !== kind)
      return this.#problems.fail(path, `device "${id}" is a ${actual}, not a ${kind}`);
    return id;
  }

  /** Each id of the list at `path` that resolves (see device()). */
  devices(v: unknown, path: string, kind: DeviceKind): string[] {
    return itemsOf(v)
      .map((x, i) => this.device(x, at(path, i), kind))
      .filter((x): x is string => x !== undefined);
  }

  /** Records that the device at `path` is driven from there; a second owner is reported. */
  claim(id: string, path: string): void {
    const first = this.#owner.get(id);
    if (first !== undefined) this.#problems.fail(path, `device "${id}" is already used by ${first}`);
    else this.#owner.set(id, path);
  }

  /** Reports ids used twice among `items` (each `{ id }` at `path[i]`). */
  uniqueIds(items: unknown, path: string, what: string): void {
    const seen = new Map<string, string>();
    itemsOf(items).forEach((item, i) => {
      const p = at(path, i);
      const id = this.#problems.text((item as { id?: unknown } | null)?.id, at(p, 'id'));
      if (id === undefined) return;
      const first = seen.get(id);
      if (first !== undefined)
        this.#problems.fail(at(p, 'id'), `duplicate ${what} id "${id}" (first at ${first})`);
      else seen.set(id, p);
    });
  }
}
