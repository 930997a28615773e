// The edge node's site configuration: what is in the cabinet and on the street around it.
// Policies (schedules, timings, thresholds) arrive later from the coordinator; this file says
// what exists and how it is wired, and is checked completely when the node starts.
//
// Shape of the JSON file (loadEdgeConfig rejects unknown keys, so a typo is an error):
//
//   {
//     "edge": { "id": "atocha-01",            // EDGE_ID_PATTERN: [a-z0-9][a-z0-9_-]{0,62}
//               "district": "centro", "tags": ["pilot"],
//               "latitude": 40.4125, "longitude": -3.6995 },  // for the astronomical clock
//     "store": { "path": "./.calle/edge.db" },  // optional; relative to this file's folder
//     "nats": { "servers": ["nats://127.0.0.1:4222"],        // optional
//               "nkeySeedFile": "./nats.nk",   // optional: this edge's NATS nkey seed (0600),
//                                              // from `calle fleet token`; relative to this file
//               "budget": { "bytesPerDay": 15000000, "burstS": 3600 } },  // optional: metered link
//     "coordinator": { "grpc": "coordinator.example:50051",  // optional, host:port
//                      "enrolmentToken": "…",   // optional: one-time, for the first Register
//                      "tls": { "ca": "./coordinator-ca.pem",      // optional: TLS; with cert and
//                               "cert": "./edge.pem", "key": "./edge.key" } },  // key, mutual
//     "trust": { "coordinatorKey": "./policy-signing.pub" },  // the coordinator's Ed25519 public
//                                     // key (PEM), relative to this file; without it every remote
//                                     // policy is refused (edge/trust/pinned-key.ts);
//                                     // "nextCoordinatorKey": the key being rotated to (README)
//     "commands": { "allow": ["diagnostics.ping", "lighting.override"] },  // optional: remote
//                                     // commands accepted (signed with the same key; see
//                                     // common/commands/command-types.ts for types and default)
//     "console": { "host": "0.0.0.0", "port": 8080 },         // optional
//     "telemetry": { "intervalS": 5 },                        // optional, 1..3600
//     "deviceTypes": [                                        // optional site types, see
//       { "name": "dali-led-90w", "extends": "dali-led-luminaire",  // edge/devices/definition.ts
//         "limits": { "ratedW": 90 } } ],
//     "devices": [ { "id": "lum-01", "type": "dali-led-luminaire", "driver": "simulated",
//                    "params": { "ratePerHour": 300 } },     // simulated: numeric knobs
//                  { "id": "lum-02", "type": "modbus-led-luminaire", "driver": "modbus-tcp",
//                    "params": { "host": "10.0.0.5", "port": 502, "unitId": 2,   // + channel,
//                                "pollMs": 1000, "timeoutMs": 1000 } },          // see
//                  { "id": "fill-01", "type": "lorawan-ultrasonic-fill", "driver": "mqtt",
//                    "params": { "broker": "mqtt://10.0.0.1:1883", "applicationId": "waste",
//                                "devEui": "70b3d57ed0000001", "intervalS": 3600 } } ],
//                    // params per driver: edge/devices/drivers/*/…-params.ts
//     "lightingGroups": [ { "id": "atocha-north", "name": "…", "luminaires": ["lum-01"],
//                           "lightingClass": "M3",           // EN 13201-2 M1..M6, P1..P6, C0..C5
//                           "detectors": ["det-n"],          // optional: presence boost sources
//                           "adaptive": { "otherWeights": 2, "capacityVehPerHour": 1800 },  // optional,
//                           "photocell": { "onLux": 30, "offLux": 60 }, "fadeS": 10,  // see below
//                           "maintenance": { "factor": 0.8, "installed": "2024-03-01",  // optional:
//                             "lumenMaintenance": [ { "hours": 0, "fraction": 1 },       // constant
//                                                   { "hours": 100000, "fraction": 0.9 } ] },  // light
//                           "presence": { "holdS": 120 } } ],  // optional, P classes: boost + hold
//                           // (edge/config/lighting-checks.ts checks these keys)
//     "intersections": [ { "id": "atocha-x-moratin", "name": "…",
//         "signalGroups": [ { "id": "ns", "head": "sig-ns", "kind": "vehicle" } ],
//         // optional per group: "detectors", "minGreenS", "maxGreenS", "walkS", "crossingM"
//         "conflicts": [["ns", "ew"]],                        // pairs that may never show together
//         "intergreen": [ { "from": "ns", "to": "ew", "s": 6 } ], // optional, default yellow + all-red
//         "control": { "mode": "actuated", "passageS": 3, "adaptEveryCycles": 3 },  // optional
//         "detectors": ["det-n"],
//         "plan": { "cycleS": 90, "yellowS": 3, "allRedS": 2, "minGreenS": 7,
//                   "stages": [ { "groups": ["ns", "ped-ew"], "greenS": 40 } ] } } ],
//                   // cycleS must equal Σ greenS + stages × (yellowS + allRedS)
//     "containers": [ { "id": "glass-01", "sensor": "fill-01", "depthCm": 160 } ]
//   }
import type { DeviceTypeSpec } from '../devices/definition.js';
import type { DeviceParams } from '../devices/driver.js';
import type { DriverName } from '../devices/drivers/driver-params.js';

export interface EdgeIdentity {
  readonly id: string;
  readonly district: string;
  readonly tags: readonly string[];
  /** Degrees north, WGS 84. */
  readonly latitude: number;
  /** Degrees east, WGS 84 (Madrid is negative). */
  readonly longitude: number;
}

export interface DeviceConfig {
  readonly id: string;
  /** A built-in type name (edge/devices/catalogue.ts) or one of deviceTypes. */
  readonly type: string;
  readonly driver: DriverName;
  /** Driver parameters, checked for the driver (edge/devices/drivers/driver-params.ts). */
  readonly params: DeviceParams;
}

export type LightingClass =
  `M${1 | 2 | 3 | 4 | 5 | 6}` | `P${1 | 2 | 3 | 4 | 5 | 6}` | `C${0 | 1 | 2 | 3 | 4 | 5}`;

export interface LightingGroupConfig {
  readonly id: string;
  readonly name: string;
  readonly luminaires: readonly string[];
  /** EN 13201-2 design class: the class at full schedule level. */
  readonly lightingClass: LightingClass;
  /** Detectors whose vehicles count as presence, and as traffic for `adaptive` (may be empty). */
  readonly detectors: readonly string[];
  /** Traffic-adaptive class (CEN/TR 13201-1); absent = always the design class. M and P only. */
  readonly adaptive?: LightingAdaptiveConfig;
  /** Photocell thresholds for an ambient-light point (unit "lx") on the group's luminaires. */
  readonly photocell?: { readonly onLux: number; readonly offLux: number };
  /** Ramp limit: seconds for a full 0↔100 % change (DALI fade 0.7–90.5 s); absent or 0 = none. */
  readonly fadeS?: number;
  /** Constant light output: the design's maintenance factor and the lumen depreciation curve. */
  readonly maintenance?: LightingMaintenanceConfig;
  /** Presence dimming on a pedestrian (P) street: boost on detection, held for holdS. */
  readonly presence?: LightingPresenceConfig;
}

/**
 * The maintenance data of a group's luminaires (CIE 154:2003: MF = LLMF × LSF × LMF), for
 * constant light output (edge/control/lumen-maintenance.ts).
 */
export interface LightingMaintenanceConfig {
  /** MF the lighting design was calculated with: 100 % level meets the class at end of life. */
  readonly factor: number;
  /** Installation date, "YYYY-MM-DD": the luminaires' age is counted from its midnight UTC. */
  readonly installed: string;
  /** LLMF by burning hours from the datasheet (L90 at 100 000 h: { hours: 100000, fraction: 0.9 }). */
  readonly lumenMaintenance: readonly { readonly hours: number; readonly fraction: number }[];
  /** LMF: output left by dirt at the end of the cleaning interval (default 1); not compensated away. */
  readonly dirtFactor: number;
}

export interface LightingPresenceConfig {
  /** Seconds a detection holds the boost. */
  readonly holdS: number;
  /** Class the boost lights to (same series, not brighter than the design class); default the design class. */
  readonly boostClass?: LightingClass;
}

/** CEN/TR 13201-1 weighting for one group; a policy section once proto/ carries it. */
export interface LightingAdaptiveConfig {
  /** Σ of every weighting value except traffic volume (speed, junctions, parked cars, …). */
  readonly otherWeights: number;
  /** Capacity the traffic-volume bands are fractions of, veh/h (all the group's detectors). */
  readonly capacityVehPerHour: number;
  /** Flow is measured over a trailing window of this many minutes (default 15), minute by minute. */
  readonly periodMin?: number;
  /** Fractions of capacity: ≥ high weighs +1, < low −1 (default 0.45 / 0.15, two-lane roads). */
  readonly trafficBands?: { readonly high: number; readonly low: number };
  /**
   * Periods (Madrid "HH:MM" from–to, may wrap midnight, never overlapping) in which the other
   * weights differ, for example ambient luminance high → moderate once shop windows go dark.
   */
  readonly periods?: readonly LightingPeriodConfig[];
}

export interface LightingPeriodConfig {
  readonly from: string;
  readonly to: string;
  readonly otherWeights: number;
}

export interface SignalGroupConfig {
  readonly id: string;
  /** Device id of the head that shows this group. */
  readonly head: string;
  readonly kind: 'vehicle' | 'pedestrian';
  /** Detectors (listed in the intersection's `detectors`) that call and extend this group. */
  readonly detectors?: readonly string[];
  /** Overrides the plan's minGreenS upwards. */
  readonly minGreenS?: number;
  /** Longest green in actuated/adaptive modes; default the longest stage green holding the group. */
  readonly maxGreenS?: number;
  /** Pedestrian walk, ≥ 7 s (default 7). */
  readonly walkS?: number;
  /** Pedestrian crossing length (m): clearance = crossingM / 1.07 m/s, rounded up. */
  readonly crossingM?: number;
}

/** How an intersection's planner decides (edge/control/stage-planner.ts). */
export type SignalMode = 'fixed-time' | 'actuated' | 'adaptive';
export const SIGNAL_MODES: readonly SignalMode[] = ['fixed-time', 'actuated', 'adaptive'];

export interface SignalControlConfig {
  readonly mode: SignalMode;
  /** Actuated gap (passage time): a stage gaps out after this long without a detector call. */
  readonly passageS: number;
  /** Adaptive: re-optimise cycle and splits every this many cycles. */
  readonly adaptEveryCycles: number;
}

export interface StageConfig {
  readonly groups: readonly string[];
  readonly greenS: number;
}

export interface SignalPlanConfig {
  readonly cycleS: number;
  readonly stages: readonly StageConfig[];
  readonly yellowS: number;
  readonly allRedS: number;
  readonly minGreenS: number;
}

export interface IntersectionConfig {
  readonly id: string;
  readonly name: string;
  readonly signalGroups: readonly SignalGroupConfig[];
  readonly conflicts: readonly (readonly [string, string])[];
  /** Intergreen overrides per ordered conflicting pair; default yellow (or clearance) + all-red. */
  readonly intergreen?: readonly { readonly from: string; readonly to: string; readonly s: number }[];
  readonly detectors: readonly string[];
  readonly plan: SignalPlanConfig;
  /** Default { mode: 'fixed-time', passageS: 3, adaptEveryCycles: 3 }. */
  readonly control?: SignalControlConfig;
}

export interface ContainerConfig {
  readonly id: string;
  /** Device id of the fill sensor. */
  readonly sensor: string;
  /** Distance from the sensor to the container floor, cm (empty container reading). */
  readonly depthCm: number;
}

export interface EdgeConfig {
  /** Absolute path of the file this was loaded from. */
  readonly file: string;
  readonly edge: EdgeIdentity;
  /** store.path resolved to an absolute path. */
  readonly store: { readonly path: string };
  readonly nats?: {
    readonly servers: readonly string[];
    /** Absolute path of the edge's NATS nkey seed file (`calle fleet token`); absent = no auth. */
    readonly nkeySeedFile?: string;
    /**
     * A metered uplink's allowance (edge/sync/byte-budget.ts): alarms always go, events and
     * telemetry wait in the outbox for the budget; nothing is dropped for it.
     */
    readonly budget?: { readonly bytesPerDay: number; readonly burstS?: number };
  };
  readonly coordinator?: {
    readonly grpc: string;
    /** One-time token for the first Register (`calle fleet token`); ignored once enrolled. */
    readonly enrolmentToken?: string;
    /** TLS towards the coordinator, absolute paths (edge/sync/grpc-credentials.ts). */
    readonly tls?: { readonly ca: string; readonly cert?: string; readonly key?: string };
  };
  /**
   * Absolute paths of the pinned key that policies and commands must be signed by and, during a
   * rotation of the coordinator's key, the next one (either is accepted while both are pinned).
   */
  readonly trust?: { readonly coordinatorKey: string; readonly nextCoordinatorKey?: string };
  /**
   * Remote commands this edge accepts (common/commands/command-types.ts); absent = ping and the
   * lighting override. Signal commands (intersection.flash/restore) only when listed here.
   */
  readonly commands?: { readonly allow: readonly string[] };
  readonly console: { readonly host: string; readonly port: number };
  readonly telemetry: { readonly intervalS: number };
  readonly deviceTypes: readonly DeviceTypeSpec[];
  readonly devices: readonly DeviceConfig[];
  readonly lightingGroups: readonly LightingGroupConfig[];
  readonly intersections: readonly IntersectionConfig[];
  readonly containers: readonly ContainerConfig[];
}

/** Defaults for optional settings. The console listens on loopback unless told otherwise. */
export const CONFIG_DEFAULTS = {
  storePath: './.calle/edge.db',
  console: { host: '127.0.0.1', port: 8080 },
  telemetry: { intervalS: 5 },
} as const;

/** Safety floors a signal plan (from config or policy) may never go below. */
export const SIGNAL_LIMITS = {
  /** ITE change interval practice is 3–6 s; a NEMA MMU flags yellow under 2.7 s (REFERENCE §2). */
  minYellowS: 3,
  maxYellowS: 6,
  /** Minimum green of any group. */
  minGreenS: 5,
  maxAllRedS: 6,
  minCycleS: 30,
  maxCycleS: 180,
} as const;
