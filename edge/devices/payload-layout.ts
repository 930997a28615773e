// How a LoRaWAN sensor packs its readings into an uplink's bytes: data in the definition, so a
// new sensor model is a new layout, not new code (zigbee-herdsman-converters' "a device is data").
// The node decodes the raw FRMPayload itself rather than trusting the network server's codec
// output ("object"): that codec is configured elsewhere, by other people, and may be absent.
import type { ConfigProblem } from '../config/config-error.js';
import type { PointDefinition } from './definition.js';

/** Integer field encodings; "be"/"le" is the byte order. */
export type FieldType = 'u8' | 'i8' | 'u16be' | 'i16be' | 'u16le' | 'i16le' | 'u32be' | 'i32be';
export const FIELD_TYPES: readonly FieldType[] = [
  'u8',
  'i8',
  'u16be',
  'i16be',
  'u16le',
  'i16le',
  'u32be',
  'i32be',
];

export const fieldSize = (t: FieldType): number => (t === 'u8' || t === 'i8' ? 1 : t.includes('32') ? 4 : 2);

export interface PayloadField {
  /** The point this field reports. */
  readonly point: string;
  /** Byte offset in the payload. */
  readonly at: number;
  readonly type: FieldType;
  /** Value = raw × scale + offset; default 1 and 0. */
  readonly scale?: number;
  readonly offset?: number;
}

export interface PayloadLayout {
  /** The LoRaWAN FPort that carries readings; uplinks on other ports (status, config) are ignored. */
  readonly fPort: number;
  readonly fields: readonly PayloadField[];
}

/** Bytes the shortest valid payload has. */
export const layoutLength = (l: PayloadLayout): number =>
  Math.max(0, ...l.fields.map((f) => f.at + fieldSize(f.type)));

export function checkPayloadLayout(
  layout: PayloadLayout,
  points: readonly PointDefinition[],
  path: string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, reason: string): void =>
    void problems.push({ field: `${path}${field}`, reason });
  // FPort 0 is MAC commands only and 224+ are reserved (LoRaWAN 1.0.4 §4.3.2).
  if (!Number.isInteger(layout.fPort) || layout.fPort < 1 || layout.fPort > 223)
    fail('.fPort', `${layout.fPort} must be an integer 1–223`);
  if (layout.fields.length === 0) fail('.fields', 'must list at least one field');
  layout.fields.forEach((fd, i) => {
    const f = (field: string, reason: string): void => fail(`.fields[${i}]${field}`, reason);
    const point = points.find((p) => p.name === fd.point);
    if (!point) f('.point', `no point "${fd.point}" in the definition`);
    else if (point.type !== 'number') f('.point', `"${fd.point}" is not a number point`);
    else if (point.derived) f('.point', `"${fd.point}" is derived on the node`);
    if (!FIELD_TYPES.includes(fd.type))
      f('.type', `"${String(fd.type)}" must be one of: ${FIELD_TYPES.join(', ')}`);
    if (!Number.isInteger(fd.at) || fd.at < 0 || fd.at > 241)
      f('.at', `${fd.at} must be a byte offset 0–241`);
    if (fd.scale !== undefined && !(Number.isFinite(fd.scale) && fd.scale !== 0))
      f('.scale', 'must be a finite, non-zero number');
    if (fd.offset !== undefined && !Number.isFinite(fd.offset)) f('.offset', 'must be a finite number');
  });
  return problems;
}

/**
 * Decodes one payload into point values. Returns a reason instead of throwing: a malformed
 * uplink is counted and logged, never fatal.
 */
export function decodePayload(
  layout: PayloadLayout,
  bytes: Uint8Array,
): { values: Record<string, number> } | { error: string } {
  const need = layoutLength(layout);
  if (bytes.length < need) return { error: `payload has ${bytes.length} bytes, the layout needs ${need}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: Record<string, number> = {};
  for (const f of layout.fields) {
    const raw = readField(view, f.at, f.type);
    values[f.point] = raw * (f.scale ?? 1) + (f.offset ?? 0);
  }
  return { values };
}

function readField(view: DataView, at: number, type: FieldType): number {
  switch (type) {
    case 'u8':
      return view.getUint8(at);
    case 'i8':
      return view.getInt8(at);
    case 'u16be':
      return view.getUint16(at, false);
    case 'i16be':
      return view.getInt16(at, false);
    case 'u16le':
      return view.getUint16(at, true);
    case 'i16le':
      return view.getInt16(at, true);
    case 'u32be':
      return view.getUint32(at, false);
    case 'i32be':
      return view.getInt32(at, false);
  }
}
