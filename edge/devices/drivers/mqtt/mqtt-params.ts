// devices[].params of a LoRaWAN device reached through a network server's MQTT integration.
import type { ParamReader } from '../param-reader.js';

export interface MqttParams {
  /** Broker URL: mqtt://host:port or mqtts://host:port. Devices on one URL share one connection. */
  readonly broker: string;
  /** ChirpStack application id (a UUID in v4). */
  readonly applicationId: string;
  /** The device's EUI-64, 16 hex digits, as ChirpStack writes it in topics (lower case). */
  readonly devEui: string;
  /** Uplink topic; default ChirpStack v4's application/<applicationId>/device/<devEui>/event/up. */
  readonly topic: string;
  /** The sensor's reporting interval, seconds (default 3600: hourly, typical of fill sensors). */
  readonly intervalS: number;
  /** Uplinks that may be missed before the device is unavailable (default 3: LoRaWAN loses some). */
  readonly missedUplinks: number;
}

const BROKER = /^mqtts?:\/\/[^\s/]+(:\d{1,5})?\/?$/;
const DEV_EUI = /^[0-9a-fA-F]{16}$/;
const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** MQTT topic filters: no wildcards here, one device per subscription. */
const TOPIC = /^[^#+\s]+$/;

export function parseMqttParams(r: ParamReader): MqttParams | undefined {
  const broker = r.string('broker', { pattern: BROKER, hint: 'an mqtt:// or mqtts:// URL' });
  const applicationId = r.string('applicationId', { pattern: APP_ID, hint: 'a ChirpStack application id' });
  const devEui = r.string('devEui', { pattern: DEV_EUI, hint: 'an EUI-64 of 16 hex digits' })?.toLowerCase();
  const topic = r.string('topic', {
    pattern: TOPIC,
    default: `application/${applicationId ?? ''}/device/${devEui ?? ''}/event/up`,
    hint: 'a topic without wildcards',
  });
  const intervalS = r.number('intervalS', { min: 0.05, max: 86_400, default: 3600 });
  const missedUplinks = r.number('missedUplinks', { min: 1, max: 100, integer: true, default: 3 });
  if (
    broker === undefined ||
    applicationId === undefined ||
    devEui === undefined ||
    topic === undefined ||
    intervalS === undefined ||
    missedUplinks === undefined
  )
    return undefined;
  return { broker, applicationId, devEui, topic, intervalS, missedUplinks };
}
