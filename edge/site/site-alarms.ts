// The site's events: the catalogue of codes the street raises, and the one door they leave by.
// A sink that throws (a full disk under the outbox) must not stop a control loop half-way, so
// the door is fenced: the failure is logged with the event's code and the tick goes on.
import type { Logger } from 'pino';
import type { EdgeEvent, TelemetrySink } from '../telemetry-sink.js';

/** Event codes the site raises (the edge's catalogue). */
export const SITE_EVENTS = {
  deviceUnavailable: 'DEVICE_UNAVAILABLE',
  signalFlash: 'SIGNAL_FLASH_LATCHED',
  signalManualFlash: 'SIGNAL_MANUAL_FLASH',
  containerFull: 'CONTAINER_FULL',
  containerEmptied: 'CONTAINER_EMPTIED',
  containerFire: 'CONTAINER_FIRE',
  containerTilted: 'CONTAINER_TILTED',
  lightingOverride: 'LIGHTING_OVERRIDE',
} as const;

/** Raises one event; never throws. */
export type RaiseEvent = (event: EdgeEvent) => void;

export function fencedRaise(sink: TelemetrySink, log: Logger): RaiseEvent {
  return (event) => {
    try {
      sink.raise(event);
    } catch (err) {
      log.error({ err, code: event.code }, 'sink refused an event');
    }
  };
}
