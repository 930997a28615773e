// The uplink event ChirpStack v4 publishes on application/<applicationId>/device/<devEui>/event/up
// (its integration.UplinkEvent message in protobuf's JSON mapping). Only the fields the node uses
// are checked; everything else (deduplicationId, txInfo, tags …) may change without harm.
// Protobuf JSON omits default values, so a missing fPort or data is legal JSON but carries no
// reading: it is reported as a reason, never thrown.

export interface Uplink {
  /** deviceInfo.devEui, lower case. */
  readonly devEui: string;
  readonly fPort: number;
  /** The raw FRMPayload, from the base64 "data". */
  readonly data: Uint8Array;
  /** "time" (when the network server received it), ms since the epoch, if present and valid. */
  readonly timeMs?: number;
  readonly fCnt?: number;
  /** Best gateway's signal, for diagnosing a sensor that fades out. */
  readonly rssi?: number;
  readonly snr?: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseUplink(payload: Buffer | string): { uplink: Uplink } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { error: 'not a JSON object' };
  const o = json as Record<string, unknown>;
  const info = o.deviceInfo as Record<string, unknown> | undefined;
  const devEui = typeof info?.devEui === 'string' ? info.devEui.toLowerCase() : undefined;
  if (devEui === undefined || !/^[0-9a-f]{16}$/.test(devEui))
    return { error: 'deviceInfo.devEui missing or not 16 hex digits' };
  if (typeof o.fPort !== 'number' || !Number.isInteger(o.fPort))
    return { error: 'fPort missing (no application payload)' };
  if (typeof o.data !== 'string' || o.data.length === 0) return { error: 'data missing (empty payload)' };
  if (!BASE64.test(o.data) || o.data.length % 4 !== 0) return { error: 'data is not base64' };
  const data = new Uint8Array(Buffer.from(o.data, 'base64'));
  const timeMs = typeof o.time === 'string' ? Date.parse(o.time) : NaN;
  const rx = Array.isArray(o.rxInfo) ? (o.rxInfo as Record<string, unknown>[]) : [];
  const best = rx
    .filter((r) => typeof r?.rssi === 'number')
    .sort((a, b) => (b.rssi as number) - (a.rssi as number))[0];
  return {
    uplink: {
      devEui,
      fPort: o.fPort,
      data,
      ...(Number.isFinite(timeMs) ? { timeMs } : {}),
      ...(typeof o.fCnt === 'number' ? { fCnt: o.fCnt } : {}),
      ...(best ? { rssi: best.rssi as number } : {}),
      ...(best && typeof best.snr === 'number' ? { snr: best.snr } : {}),
    },
  };
}
