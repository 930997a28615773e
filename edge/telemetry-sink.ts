// Where measurements and events go once a control loop has them. The store's outbox implements
// this; control code depends only on the interface, so it runs the same with or without a network.

/** One measured value of one device. */
export interface TelemetryReading {
  readonly deviceId: string;
  /** Dotted lower-case metric name with its unit last, for example "level.pct", "power.w". */
  readonly metric: string;
  readonly value: number;
  /** Milliseconds since the Unix epoch. */
  readonly timeMs: number;
}

/** Something that happened: an alarm raised or cleared, a policy applied, a start. */
export interface EdgeEvent {
  /** Device concerned, or undefined for the node itself. */
  readonly deviceId?: string;
  /** Stable code from the edge's catalogue, for example "DEVICE_UNAVAILABLE". */
  readonly code: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
  readonly timeMs: number;
  /** True while the condition holds; false when it clears. */
  readonly active: boolean;
}

/** Accepts readings and events synchronously and durably; never throws on a full network. */
export interface TelemetrySink {
  /** Records one tick's readings as one unit (one outbox row). */
  record(readings: readonly TelemetryReading[]): void;
  /** Records an event; events leave the node before bulk telemetry. */
  raise(event: EdgeEvent): void;
}
