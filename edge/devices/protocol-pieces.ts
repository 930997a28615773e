// Register maps and payload layouts of the equipment calle ships definitions for. They are the
// same data a site may write for its own equipment; the equipment simulators in
// hil-tests/equipment implement exactly these maps, so a change here is a change there.
import { SIGNAL_ASPECTS } from './pieces.js';
import type { Piece } from './pieces.js';

/**
 * A digital I/O module driving signal heads (4 coils per head: red, amber, green lamp switches and
 * a "flash amber" mode the module runs itself, so the flash continues if the node dies) with
 * lamp-current sensing (3 input registers per head, mA) and a lamp-out flag (1 discrete input per
 * head). Head n is params.channel = n.
 *
 * Aspect codes are the 4 coils as one value, red = bit 0: red 1, amber 2, green 4, flash 8,
 * dark 0. One FC 15 write switches all four at once, so no instant shows two lamps of a head.
 */
export const ioModuleHeadRegisters = (): Piece => ({
  points: [],
  modbus: {
    points: {
      aspect: { table: 'coil', address: 0, bits: 4, codes: SIGNAL_ASPECTS.map(aspectCode) },
      redMa: { table: 'input', address: 0 },
      yellowMa: { table: 'input', address: 1 },
      greenMa: { table: 'input', address: 2 },
      lampFault: { table: 'discrete', address: 0, codes: [0, 1] },
    },
    channelStride: { coil: 4, input: 3, discrete: 1 },
  },
});

function aspectCode(aspect: (typeof SIGNAL_ASPECTS)[number]): number {
  return { red: 1, yellow: 2, green: 4, flash: 8, dark: 0 }[aspect];
}

/**
 * The same module's loop-detector inputs: a 32-bit pulse counter (input registers 100 + 3n and
 * 101 + 3n, high word first, wrapping at 2^32) and the occupancy of the last second in permille
 * (102 + 3n). Counting in the module means a slow poll loses no vehicle.
 */
export const ioModuleDetectorRegisters = (): Piece => ({
  points: [],
  modbus: {
    points: {
      count: { table: 'input', address: 100, format: 'u32', wordOrder: 'high-first' },
      occupancy: { table: 'input', address: 102, scale: 0.1 },
    },
    channelStride: { input: 3 },
  },
});

/**
 * A luminaire controller (a Modbus-to-DALI node or a controller in the luminaire): holding
 * registers for the target level (0.1 % steps) and the fade time (0.1 s steps); input registers
 * for active power as an IEEE 754 float sent low word first, as many meters do, and energy as a
 * 32-bit Wh counter, high word first.
 */
export const lightingControllerRegisters = (): Piece => ({
  points: [],
  modbus: {
    points: {
      level: { table: 'holding', address: 0, scale: 0.1 },
      fade: { table: 'holding', address: 1, scale: 0.1 },
      power: { table: 'input', address: 0, format: 'f32', wordOrder: 'low-first' },
      energy: { table: 'input', address: 2, format: 'u32', wordOrder: 'high-first', scale: 0.001 },
    },
  },
});

/**
 * An ultrasonic fill sensor's uplink on FPort 2: distance in cm (u16, big-endian), temperature
 * in °C (i8) and battery in percent (u8). 4 bytes: short payloads keep airtime, and so battery
 * life, low at high spreading factors.
 */
export const fillSensorPayload = (): Piece => ({
  points: [],
  uplink: {
    fPort: 2,
    fields: [
      { point: 'distance', at: 0, type: 'u16be' },
      { point: 'temperature', at: 2, type: 'i8' },
      { point: 'battery', at: 3, type: 'u8' },
    ],
  },
});
