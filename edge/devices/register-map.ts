// Where a device type's points live in a Modbus server: data in the definition, so a new I/O
// module or lighting controller is a new map, not new driver code. Addresses are the 0-based
// protocol addresses of the Modbus Application Protocol (V1.1b3 §4.4), not the "40001"-style
// register numbers of datasheets: holding register 40001 is address 0 in the holding table.
import type { ConfigProblem } from '../config/config-error.js';
import type { PointDefinition } from './definition.js';

/** The four Modbus data tables (MODBUS Application Protocol V1.1b3 §4.3). */
export type ModbusTable = 'coil' | 'discrete' | 'input' | 'holding';
export const MODBUS_TABLES: readonly ModbusTable[] = ['coil', 'discrete', 'input', 'holding'];

/** Encodings of a numeric value in 16-bit registers. */
export type WordFormat = 'u16' | 'i16' | 'u32' | 'i32' | 'f32';
export const WORD_FORMATS: readonly WordFormat[] = ['u16', 'i16', 'u32', 'i32', 'f32'];

/** How one point maps onto a table. */
export interface RegisterBinding {
  readonly table: ModbusTable;
  /** 0-based protocol address of channel 0 (see channelStride). */
  readonly address: number;
  /**
   * Bit tables only: how many consecutive bits the point spans (default 1). The raw value is
   * their integer with the first address as bit 0, so a 4-lamp signal head is one 4-bit value.
   */
  readonly bits?: number;
  /** Word tables only; default u16. 32-bit formats take two registers. */
  readonly format?: WordFormat;
  /**
   * 32-bit formats: "high-first" is the Modbus big-endian convention; many power meters send the
   * low word first ("word-swapped"), so it is data, not an assumption.
   */
  readonly wordOrder?: 'high-first' | 'low-first';
  /** Engineering value = raw × scale + offset (numbers only; default 1 and 0). */
  readonly scale?: number;
  readonly offset?: number;
  /** Enum points: the raw code of each value, in the order of the point's values. */
  readonly codes?: readonly number[];
}

export interface RegisterMap {
  /** Binding per point name; every non-derived point of the type needs one. */
  readonly points: Readonly<Record<string, RegisterBinding>>;
  /**
   * Address step between the channels of a multi-channel module, per table: a device with
   * params.channel = n uses address + n × stride. One definition then serves every head of an
   * 8-head output module.
   */
  readonly channelStride?: Readonly<Partial<Record<ModbusTable, number>>>;
}

/** Registers a binding occupies (bit tables: bits). */
export function bindingWidth(b: RegisterBinding): number {
  if (b.table === 'coil' || b.table === 'discrete') return b.bits ?? 1;
  const f = b.format ?? 'u16';
  return f === 'u16' || f === 'i16' ? 1 : 2;
}

export const isBitTable = (t: ModbusTable): boolean => t === 'coil' || t === 'discrete';
/** Tables the client may write: coils (FC 5/15) and holding registers (FC 6/16). */
export const isWritableTable = (t: ModbusTable): boolean => t === 'coil' || t === 'holding';

/** Every problem with a register map, paths under `path` (for example "types[3].modbus"). */
export function checkRegisterMap(
  map: RegisterMap,
  points: readonly PointDefinition[],
  path: string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, reason: string): void =>
    void problems.push({ field: `${path}${field}`, reason });
  for (const [name, b] of Object.entries(map.points)) {
    const f = (field: string, reason: string): void => fail(`.points.${name}${field}`, reason);
    const point = points.find((p) => p.name === name);
    if (!point) {
      f('', `no point "${name}" in the definition`);
      continue;
    }
    if (point.derived) f('', `"${name}" is derived on the node and cannot be read from a register`);
    if (!MODBUS_TABLES.includes(b.table)) {
      f('.table', `"${String(b.table)}" must be one of: ${MODBUS_TABLES.join(', ')}`);
      continue;
    }
    if (!Number.isInteger(b.address) || b.address < 0 || b.address > 65535)
      f('.address', `${b.address} must be an integer 0–65535`);
    if (point.access === 'write' && !isWritableTable(b.table))
      f('.table', `writable point "${name}" needs a coil or holding register, not ${b.table}`);
    if (isBitTable(b.table)) {
      if (b.format !== undefined) f('.format', 'bit tables have no word format');
      if (b.bits !== undefined && !(Number.isInteger(b.bits) && b.bits >= 1 && b.bits <= 16))
        f('.bits', `${b.bits} must be an integer 1–16`);
    } else {
      if (b.bits !== undefined) f('.bits', 'only coils and discrete inputs have bits');
      if (b.format !== undefined && !WORD_FORMATS.includes(b.format))
        f('.format', `"${String(b.format)}" must be one of: ${WORD_FORMATS.join(', ')}`);
    }
    if (b.address + bindingWidth(b) - 1 > 65535) f('.address', 'the value runs past address 65535');
    if (point.type === 'enum') {
      if (b.codes === undefined || b.codes.length !== (point.values ?? []).length)
        f('.codes', `an enum point needs one raw code per value (${(point.values ?? []).length})`);
      else if (new Set(b.codes).size !== b.codes.length) f('.codes', 'codes must be unique');
      if (b.scale !== undefined || b.offset !== undefined) f('.scale', 'enum points are not scaled');
    } else {
      if (b.codes !== undefined) f('.codes', 'only enum points have codes');
      if (b.scale !== undefined && !(Number.isFinite(b.scale) && b.scale !== 0))
        f('.scale', 'must be a finite, non-zero number');
      if (b.offset !== undefined && !Number.isFinite(b.offset)) f('.offset', 'must be a finite number');
    }
  }
  for (const [table, stride] of Object.entries(map.channelStride ?? {})) {
    if (!MODBUS_TABLES.includes(table as ModbusTable)) fail(`.channelStride.${table}`, 'unknown table');
    else if (!Number.isInteger(stride) || stride < 0)
      fail(`.channelStride.${table}`, 'must be an integer ≥ 0');
  }
  return problems;
}
