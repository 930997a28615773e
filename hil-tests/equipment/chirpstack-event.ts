// Builds the uplink event a ChirpStack v4 network server publishes on
// application/<applicationId>/device/<devEui>/event/up: integration.UplinkEvent in protobuf's JSON
// mapping (camelCase names, base64 bytes, RFC 3339 times). Written out in full, with the fields a
// node should ignore, so a driver that leans on one of them is caught.
import { randomUUID } from 'node:crypto';

export interface UplinkEventInput {
  applicationId: string;
  devEui: string;
  fCnt: number;
  fPort: number;
  data: Buffer;
  timeMs: number;
  rssi?: number;
  snr?: number;
  /** The network server codec's output, if one is configured there. */
  object?: Record<string, unknown>;
}

export const uplinkTopic = (applicationId: string, devEui: string): string =>
  `application/${applicationId}/device/${devEui.toLowerCase()}/event/up`;

export function uplinkEvent(e: UplinkEventInput): Record<string, unknown> {
  const time = new Date(e.timeMs).toISOString();
  return {
    deduplicationId: randomUUID(),
    time,
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'Ayuntamiento de Madrid',
      applicationId: e.applicationId,
      applicationName: 'waste',
      deviceProfileId: '9d7bd1ae-5c31-4d0d-bc5d-1c3b0d7d6f5e',
      deviceProfileName: 'ultrasonic-fill',
      deviceName: `fill-${e.devEui.slice(-4)}`,
      devEui: e.devEui.toLowerCase(),
      deviceClassEnabled: 'CLASS_A',
      tags: {},
    },
    devAddr: '01a2b3c4',
    adr: true,
    dr: 5,
    fCnt: e.fCnt,
    fPort: e.fPort,
    confirmed: false,
    data: e.data.toString('base64'),
    ...(e.object ? { object: e.object } : {}),
    rxInfo: [
      {
        gatewayId: '0016c001ff10a235',
        uplinkId: Math.floor(Math.random() * 65536),
        time,
        rssi: e.rssi ?? -97,
        snr: e.snr ?? 7.5,
        channel: 2,
        location: { latitude: 40.4125, longitude: -3.6995 },
        context: 'EFwMtA==',
        metadata: { region_config_id: 'eu868', region_common_name: 'EU868' },
        crcStatus: 'CRC_OK',
      },
    ],
    txInfo: {
      frequency: 868_500_000,
      modulation: { lora: { bandwidth: 125_000, spreadingFactor: 7, codeRate: 'CR_4_5' } },
    },
  };
}
