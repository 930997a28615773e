// How large the ingest streams may grow, derived from the outage budget the operator chooses: how
// long the coordinator may be away (crashed, upgraded, its database down) with every reading still
// waiting in the hub when it comes back. Sizing by bytes, not only by age, is what keeps the hub's
// disk bounded whatever the fleet sends (issue #16: 7 days of limits retention at 2,000 msg/s is
// ~305 GB, above the hub's max_file_store, after which every publish is refused).
//
// What happens beyond the budget: the streams discard their oldest messages (DiscardPolicy.Old).
// Those readings were already acknowledged to the edges, which dropped them from their outboxes,
// so an outage longer than the budget loses its oldest readings; the coordinator's per-edge gap
// counters show exactly which. The alternative (DiscardPolicy.New) refuses new publishes once the
// stream is full, and a limits-retention stream is always full in steady state: it would stop all
// ingest. BacklogWatch (backlog-watch.ts) warns long before the budget runs out.
//
// The hub's own bound (jetstream.max_file_store in deploy/nats/hub.conf) must hold both streams and
// the KV buckets: nats-server reserves max_bytes when a stream is created and refuses one that does
// not fit (error 10047), which ensureIngestStream turns into a message naming both settings.

/** The operator's choice (`calle cloud --outage-budget 72h --fleet-cabinets 10000`). */
export interface OutageBudget {
  /** How long ingest may be away with nothing lost, in hours. */
  readonly hours: number;
  /** Cabinets the hub carries (plan for the fleet's size a year from now). */
  readonly cabinets: number;
  /** Seconds between two telemetry messages of one cabinet (the edges' telemetry.intervalS). */
  readonly intervalS: number;
}

/**
 * 1,000 cabinets for a day: ~5.4 GB of telemetry, small enough for the demo's and the tests'
 * nats-server (whose default max_file_store is 75 % of the free disk) and for the Kubernetes
 * manifest's 50 GB volume. A city sets its own (README, sizing table).
 */
export const DEFAULT_OUTAGE_BUDGET: OutageBudget = { hours: 24, cabinets: 1_000, intervalS: 5 };

/**
 * Bytes one telemetry message occupies in the file store: a TelemetryBatch of one cabinet tick
 * (5 readings, ~150 B of protobuf) plus subject, headers (Nats-Msg-Id) and the store's record
 * framing. Measured in issue #16 as ~252 B per message from the stream's state.bytes.
 */
export const STORED_BYTES_PER_TELEMETRY_MESSAGE = 252;
/**
 * Events are alarms and state changes: far rarer than telemetry. Sized for one event per cabinet
 * per minute, at ~300 B each stored (a message text and a device id more than a reading).
 */
const EVENTS_PER_CABINET_PER_S = 1 / 60;
const STORED_BYTES_PER_EVENT = 300;
/** Room above the estimate: message sizes vary with device counts, and file blocks are not packed. */
const HEADROOM = 1.25;
/** Never size a stream below this: small fleets still need room for a redelivery burst. */
const MIN_STREAM_BYTES = 64 * 2 ** 20;

export interface StreamLimits {
  /** max_bytes of the stream. */
  readonly maxBytes: number;
  /** max_age in ms: the budget itself, so a quiet fleet does not keep readings for longer. */
  readonly maxAgeMs: number;
}

export class OutageBudgetError extends Error {
  override readonly name = 'OutageBudgetError';
  constructor(
    readonly field: keyof OutageBudget,
    reason: string,
  ) {
    super(`outage budget ${field}: ${reason}`);
  }
}

/** Checks a budget; throws OutageBudgetError naming the field. */
export function checkOutageBudget(budget: OutageBudget): OutageBudget {
  if (!(Number.isFinite(budget.hours) && budget.hours >= 1 && budget.hours <= 24 * 30))
    throw new OutageBudgetError('hours', `${budget.hours} must be from 1 hour to 30 days`);
  if (!(Number.isSafeInteger(budget.cabinets) && budget.cabinets >= 1 && budget.cabinets <= 10_000_000))
    throw new OutageBudgetError('cabinets', `${budget.cabinets} must be a whole number from 1 to 10,000,000`);
  if (!(Number.isFinite(budget.intervalS) && budget.intervalS >= 1 && budget.intervalS <= 3_600))
    throw new OutageBudgetError('intervalS', `${budget.intervalS} must be from 1 to 3,600 seconds`);
  return budget;
}

/** Parses "72h", "3d" or "90m" (the CLI's --outage-budget) into hours. */
export function parseBudgetHours(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([mhd])$/.exec(text.trim());
  if (!m)
    throw new OutageBudgetError('hours', `${JSON.stringify(text)} is not a duration like 90m, 72h or 3d`);
  const n = Number(m[1]);
  return m[2] === 'm' ? n / 60 : m[2] === 'd' ? n * 24 : n;
}

const limitsOf = (perSecond: number, bytesEach: number, budget: OutageBudget): StreamLimits => ({
  maxBytes: Math.max(MIN_STREAM_BYTES, Math.ceil(perSecond * budget.hours * 3_600 * bytesEach * HEADROOM)),
  maxAgeMs: budget.hours * 3_600_000,
});

/** The limits of the telemetry and the events stream for `budget`. */
export function streamLimits(budget: OutageBudget): { telemetry: StreamLimits; events: StreamLimits } {
  checkOutageBudget(budget);
  return {
    telemetry: limitsOf(budget.cabinets / budget.intervalS, STORED_BYTES_PER_TELEMETRY_MESSAGE, budget),
    events: limitsOf(budget.cabinets * EVENTS_PER_CABINET_PER_S, STORED_BYTES_PER_EVENT, budget),
  };
}

/** Both streams' bytes: what the hub's max_file_store must hold for them (KV buckets come on top). */
export function hubBytesFor(budget: OutageBudget): number {
  const { telemetry, events } = streamLimits(budget);
  return telemetry.maxBytes + events.maxBytes;
}
