// The contract between the node and a family of equipment. Drivers are protocol-shaped (simulated
// now; Modbus TCP and MQTT later) and know nothing of control: they move point values. Shaped
// after EdgeX's device-sdk ProtocolDriver (initialise, read, write, stop) with pushed updates.
import type { DeviceDefinition } from './definition.js';
import type { PointValue } from './device-view.js';

/** A value of devices[].params: numbers (rates, ports, unit ids) or strings (hosts, EUIs, URLs). */
export type ParamValue = number | string;
export type DeviceParams = Readonly<Record<string, ParamValue>>;

/** One device a driver is asked to serve. */
export interface DriverDevice {
  readonly id: string;
  readonly definition: DeviceDefinition;
  /**
   * devices[].params from the configuration, already checked for this driver by
   * edge/devices/drivers/driver-params.ts (addresses, rates, seeds).
   */
  readonly params: DeviceParams;
}

/** What a driver pushes: fresh values, or the reason it cannot reach the device. */
export type DriverUpdate =
  | {
      readonly deviceId: string;
      readonly timeMs: number;
      readonly values: Readonly<Record<string, PointValue>>;
    }
  | { readonly deviceId: string; readonly timeMs: number; readonly error: string };

export type DriverListener = (update: DriverUpdate) => void;

export interface DeviceDriver {
  /** The name devices[].driver uses. */
  readonly name: string;
  /**
   * Connects to (or creates) the devices. Rejects only when the driver as a whole cannot run.
   * Idempotent: devices it already serves are left as they are.
   */
  start(devices: readonly DriverDevice[]): Promise<void>;
  /** Current values of every readable point; rejects while the device is unreachable. */
  read(deviceId: string): Promise<Readonly<Record<string, PointValue>>>;
  /** Commands one writable point; rejects with the reason when the device refuses or is unreachable. */
  write(deviceId: string, point: string, value: PointValue): Promise<void>;
  /**
   * Values and errors as the driver learns them. Protocol drivers poll on their own schedule;
   * one device's error is an update, never a thrown exception. Returns an unsubscribe function.
   */
  subscribe(listener: DriverListener): () => void;
  /**
   * Drivers with no I/O of their own (the simulator, a replay) advance on the node's tick and
   * push what changed; protocol drivers leave this out.
   */
  sample?(nowMs: number): void;
  /** Closes every socket and timer the driver holds; idempotent. */
  stop(): Promise<void>;
}
