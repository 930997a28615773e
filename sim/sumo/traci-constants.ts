// TraCI command, domain and variable ids used by calle (API version 20, SUMO 1.15; REFERENCE §1).
// Not in 1.15, whatever newer documentation says: spent duration 0x38, the E2 interval getters
// and min-expected-number 0x7D — so none of them appear here.

export const CMD = {
  getVersion: 0x00,
  simulationStep: 0x02,
  setOrder: 0x03,
  close: 0x7f,
} as const;

/** Get / set command ids per domain; a get's result comes back as get id + 0x10. */
export const DOMAIN = {
  inductionLoop: { get: 0xa0 },
  laneArea: { get: 0xad },
  trafficLight: { get: 0xa2, set: 0xc2 },
  lane: { get: 0xa3 },
  vehicle: { get: 0xa4 },
  simulation: { get: 0xab },
} as const;

export const RESULT_OFFSET = 0x10;

export const TL_VAR = {
  state: 0x20,
  phase: 0x28,
  /** Set only: switching program. Its getter is currentProgram 0x29 (0x23 is refused by a get). */
  program: 0x23,
  currentProgram: 0x29,
  phaseDuration: 0x24,
  controlledLanes: 0x26,
  controlledLinks: 0x27,
  nextSwitch: 0x2d,
} as const;

/** Detector variables, shared by induction loops (E1) and lane-area detectors (E2). */
export const DET_VAR = {
  idList: 0x00,
  /** Vehicles on (E2) or passing (E1) the detector in the last step. */
  count: 0x10,
  /** Ids of those vehicles. */
  vehicleIds: 0x12,
  /** Percent. */
  occupancy: 0x13,
  halting: 0x14,
  /** E2: jam length in vehicles. */
  jamVehicles: 0x18,
  /** E2: jam length in metres. */
  jamMetres: 0x19,
} as const;

export const SIM_VAR = {
  time: 0x66,
  departedNumber: 0x73,
  arrivedNumber: 0x79,
} as const;
