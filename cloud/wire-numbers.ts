// 64-bit protobuf fields as plain numbers, whatever protobufjs hands us.
//
// Why this exists: proto/index.ts clears protobuf.util.Long so that decoded int64/uint64 fields
// are numbers, but it does so after proto/gen/calle.js has loaded, and the generated prototypes
// already hold their defaults as Long objects (`$util.Long ? Long.fromBits(0,0,true) : 0`, evaluated
// at load time while the `long` package is installed). So a field the sender left at 0 (proto3
// omits zeros on the wire) decodes as a Long, not 0: a fresh edge's Watch with
// last_applied_version 0, a heartbeat with outbox_pending 0. better-sqlite3 refuses to bind such
// an object, and comparisons silently misbehave. Until proto/ is fixed, every 64-bit field read
// from a decoded message goes through u64().

interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

const isLongLike = (v: unknown): v is LongLike =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as LongLike).low === 'number' &&
  typeof (v as LongLike).high === 'number';

/**
 * The field as a number. Values beyond 2^53 lose precision, as they would with --force-number;
 * no calle counter gets near that (a reading a millisecond for 285,000 years).
 */
export function u64(value: number | LongLike | null | undefined): number {
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  if (isLongLike(value)) {
    const high = value.unsigned === false ? value.high : value.high >>> 0;
    return high * 4_294_967_296 + (value.low >>> 0);
  }
  return Number(value);
}
