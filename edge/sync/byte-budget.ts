// A bandwidth budget for metered uplinks (5G SIMs billed by the gigabyte): a token bucket of
// bytes. The outbox publisher asks it before sending events and telemetry; alarms always go and
// their bytes are still counted, so an alarm storm borrows from the budget and the telemetry that
// follows waits longer. What waits stays in the outbox (durable, counted as pending, its age shown)
// and leaves once the budget refills — nothing is dropped for the budget.
//
// The bucket holds up to `burstS` seconds of the rate, so a node that was quiet can send a backlog
// at once up to that size, and a node that is always busy is held to the rate on average.

export interface ByteBudgetOptions {
  /** The long-run allowance, bytes per day (a monthly SIM quota / 30, minus a margin). */
  readonly bytesPerDay: number;
  /** Seconds of allowance the bucket can hold; default 3600 (an hour). */
  readonly burstS?: number;
}

/** Bytes on the wire for one message: payload, subject and headers (message id, framing). */
export const wireBytes = (subject: string, payloadBytes: number): number =>
  payloadBytes + subject.length + 96;

export class ByteBudget {
  readonly #ratePerMs: number;
  readonly #capacity: number;
  #tokens: number;
  #atMs: number | undefined;

  constructor(options: ByteBudgetOptions) {
    if (!(options.bytesPerDay > 0))
      throw new RangeError(`bytesPerDay: ${options.bytesPerDay} must be above 0`);
    this.#ratePerMs = options.bytesPerDay / 86_400_000;
    this.#capacity = this.#ratePerMs * (options.burstS ?? 3600) * 1000;
    this.#tokens = this.#capacity;
  }

  /** Takes `bytes` if the bucket holds them; false (nothing taken) otherwise. */
  tryTake(bytes: number, nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Takes `bytes` whatever the bucket holds (alarms): the bucket may go into debt. */
  force(bytes: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#tokens -= bytes;
  }

  /** Milliseconds until `bytes` could be taken (0 if now). A message larger than the bucket waits for a full one. */
  waitMs(bytes: number, nowMs: number): number {
    this.#refill(nowMs);
    const need = Math.min(bytes, this.#capacity) - this.#tokens;
    return need <= 0 ? 0 : Math.ceil(need / this.#ratePerMs);
  }

  #refill(nowMs: number): void {
    if (this.#atMs !== undefined && nowMs > this.#atMs)
      this.#tokens = Math.min(this.#capacity, this.#tokens + (nowMs - this.#atMs) * this.#ratePerMs);
    this.#atMs = nowMs;
  }
}
