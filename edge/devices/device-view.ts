// What the rest of the node (console, telemetry, sync) sees of one device: a read-only snapshot.
// Control loops own the state; everything else reads these views.

import type { Reason } from '../../common/reasons/reason.js';

/** The role a device plays on the street. */
export type DeviceKind = 'luminaire' | 'signal-head' | 'detector' | 'fill-sensor';

/** A value a device reports or is commanded to. */
export type PointValue = number | string | boolean;

/** A snapshot of one device, as shown in the console and sent as telemetry. */
export interface DeviceView {
  /** Device id from the site configuration, unique on the node. */
  readonly id: string;
  /** The device type's name (a definition in the catalogue or in the site configuration). */
  readonly type: string;
  /** What the device is on the street. */
  readonly kind: DeviceKind;
  /** Which driver talks to it ("simulated", later "modbus-tcp", "mqtt"). */
  readonly driver: string;
  /** Lighting group, intersection or container id it belongs to, if any. */
  readonly group?: string;
  /** False while its driver cannot reach it; the rest of the node carries on. */
  readonly available: boolean;
  /** Last error its driver reported, while unavailable (English of lastErrorCode). */
  readonly lastError?: string;
  /** The same as coded parts (common/reasons/), for the console to show in its language. */
  readonly lastErrorCode?: Reason;
  /** Current values by point name (for example { level: 60, power: 42.1 }). */
  readonly state: Readonly<Record<string, PointValue>>;
  /** Which rule decided the current commanded state (for example "schedule: sunset+0 → 100 %"). */
  readonly reason?: string;
  /** The same as coded parts, made where the decision was made. */
  readonly reasonCode?: Reason;
  /** When the state last changed, milliseconds since the Unix epoch. */
  readonly updatedMs: number;
}
