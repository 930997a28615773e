// Point values ↔ raw bits and words, as a definition's RegisterMap says: scaling, signedness,
// 32-bit word order and enum codes. Also the read plan: the fewest requests that cover a device's
// points (contiguous bindings of one table merged into one read).
import type { PointDefinition } from '../../definition.js';
import type { PointValue } from '../../device-view.js';
import {
  bindingWidth,
  isBitTable,
  type ModbusTable,
  type RegisterBinding,
  type RegisterMap,
} from '../../register-map.js';

/** A binding placed at its channel's absolute address. */
export interface PlacedBinding {
  readonly point: PointDefinition;
  readonly binding: RegisterBinding;
  readonly address: number;
  readonly width: number;
}

/** One read request covering several bindings. */
export interface ReadBlock {
  readonly table: ModbusTable;
  readonly address: number;
  readonly quantity: number;
  readonly members: readonly PlacedBinding[];
}

/** Largest read per table (V1.1b3 §6.1–6.4). */
const MAX_READ: Record<ModbusTable, number> = { coil: 2000, discrete: 2000, input: 125, holding: 125 };

export function placeBindings(
  map: RegisterMap,
  points: readonly PointDefinition[],
  channel: number,
): Map<string, PlacedBinding> {
  const placed = new Map<string, PlacedBinding>();
  for (const point of points) {
    const binding = map.points[point.name];
    if (!binding) continue;
    const address = binding.address + channel * (map.channelStride?.[binding.table] ?? 0);
    placed.set(point.name, { point, binding, address, width: bindingWidth(binding) });
  }
  return placed;
}

/**
 * Merges only bindings that touch or overlap: reading across a gap would ask the server for
 * addresses it may not implement, and many answer ILLEGAL DATA ADDRESS for the whole request.
 */
export function planReads(bindings: Iterable<PlacedBinding>): ReadBlock[] {
  const byTable = new Map<ModbusTable, PlacedBinding[]>();
  for (const b of bindings) byTable.set(b.binding.table, [...(byTable.get(b.binding.table) ?? []), b]);
  const blocks: ReadBlock[] = [];
  for (const [table, list] of byTable) {
    list.sort((a, b) => a.address - b.address);
    let cur: { address: number; end: number; members: PlacedBinding[] } | undefined;
    for (const b of list) {
      const end = b.address + b.width;
      if (cur && b.address <= cur.end && Math.max(cur.end, end) - cur.address <= MAX_READ[table]) {
        cur.end = Math.max(cur.end, end);
        cur.members.push(b);
      } else {
        if (cur)
          blocks.push({ table, address: cur.address, quantity: cur.end - cur.address, members: cur.members });
        cur = { address: b.address, end, members: [b] };
      }
    }
    if (cur)
      blocks.push({ table, address: cur.address, quantity: cur.end - cur.address, members: cur.members });
  }
  return blocks;
}

/** The point's value from the block's raw data; throws with the point named when it does not decode. */
export function decodePoint(
  pb: PlacedBinding,
  block: ReadBlock,
  raw: readonly (boolean | number)[],
): PointValue {
  const at = pb.address - block.address;
  const slice = raw.slice(at, at + pb.width);
  let n: number;
  if (isBitTable(pb.binding.table)) {
    n = (slice as boolean[]).reduce((acc, on, i) => acc | ((on ? 1 : 0) << i), 0);
  } else {
    n = wordsToNumber(slice as number[], pb.binding);
  }
  if (pb.point.type === 'enum') {
    const i = (pb.binding.codes ?? []).indexOf(n);
    const value = pb.point.values?.[i];
    if (value === undefined)
      throw new Error(
        `${pb.point.name}: raw code ${n} is none of the known codes ${(pb.binding.codes ?? []).join(', ')}`,
      );
    return value;
  }
  return scaled(n, pb.binding);
}

/** Raw bits or words that write `value` to the point; throws when it does not fit. */
export function encodePoint(pb: PlacedBinding, value: PointValue): boolean[] | number[] {
  let n: number;
  if (pb.point.type === 'enum') {
    const i = (pb.point.values ?? []).indexOf(String(value));
    const code = pb.binding.codes?.[i];
    if (code === undefined) throw new Error(`${pb.point.name}: "${String(value)}" has no raw code`);
    n = code;
  } else {
    if (typeof value !== 'number') throw new Error(`${pb.point.name} must be a number`);
    n = (value - (pb.binding.offset ?? 0)) / (pb.binding.scale ?? 1);
    if ((pb.binding.format ?? 'u16') !== 'f32') n = Math.round(n);
  }
  if (isBitTable(pb.binding.table)) {
    if (n < 0 || n >= 2 ** pb.width)
      throw new Error(`${pb.point.name}: raw ${n} does not fit ${pb.width} bit(s)`);
    return Array.from({ length: pb.width }, (_, i) => ((n >> i) & 1) === 1);
  }
  return numberToWords(n, pb.binding, pb.point.name);
}

function wordsToNumber(words: readonly number[], b: RegisterBinding): number {
  const format = b.format ?? 'u16';
  if (format === 'u16') return words[0]!;
  if (format === 'i16') return (words[0]! << 16) >> 16;
  const [hi, lo] = b.wordOrder === 'low-first' ? [words[1]!, words[0]!] : [words[0]!, words[1]!];
  const buf = Buffer.alloc(4);
  buf.writeUInt16BE(hi, 0);
  buf.writeUInt16BE(lo, 2);
  if (format === 'u32') return buf.readUInt32BE(0);
  if (format === 'i32') return buf.readInt32BE(0);
  return buf.readFloatBE(0);
}

function numberToWords(n: number, b: RegisterBinding, name: string): number[] {
  const format = b.format ?? 'u16';
  const fits = (min: number, max: number): void => {
    if (!(n >= min && n <= max)) throw new Error(`${name}: raw ${n} does not fit ${format}`);
  };
  const buf = Buffer.alloc(4);
  switch (format) {
    case 'u16':
      fits(0, 0xffff);
      return [n];
    case 'i16':
      fits(-0x8000, 0x7fff);
      return [n & 0xffff];
    case 'u32':
      fits(0, 0xffffffff);
      buf.writeUInt32BE(n, 0);
      break;
    case 'i32':
      fits(-0x80000000, 0x7fffffff);
      buf.writeInt32BE(n, 0);
      break;
    case 'f32':
      if (!Number.isFinite(n)) throw new Error(`${name}: ${n} is not a finite number`);
      buf.writeFloatBE(n, 0);
      break;
  }
  const hi = buf.readUInt16BE(0);
  const lo = buf.readUInt16BE(2);
  return b.wordOrder === 'low-first' ? [lo, hi] : [hi, lo];
}

/**
 * raw × scale + offset, rounded to the scale's resolution (0.1 × 503 is 50.300000000000004 in
 * binary floating point); floats to 7 significant digits, all an IEEE single holds.
 */
function scaled(raw: number, b: RegisterBinding): number {
  const v = raw * (b.scale ?? 1) + (b.offset ?? 0);
  if (b.format === 'f32') return Number(v.toPrecision(7));
  const step = Math.abs(b.scale ?? 1);
  const decimals = step >= 1 ? 0 : Math.min(12, Math.ceil(-Math.log10(step) - 1e-9));
  return Number(v.toFixed(decimals));
}
