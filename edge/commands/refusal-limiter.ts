// Bounds the audit rows written for commands refused before their signature checked out. Anyone
// who can publish on `calle.cmd.<edge>.*` (a misconfigured hub, a captured cabinet on an open demo
// broker) can send garbage as fast as the link carries it, and one fsynced audit row per message
// would turn that flood into disk writes on an SD card (issue 13, finding 8). Commands that pass the
// signature come from the coordinator and stay audited one by one.
//
// The fact that refusals happened is never lost: in each window the first `perWindow` are audited
// individually, the rest are counted, and when the window ends (at the next refusal, at the next
// timer tick, or at close) one summary row says how many were suppressed, between which times,
// and the last reason. Windows are fixed, not sliding: a summary per minute at most.
import type { AuditEntry } from '../../common/audit/audit-log.js';

/** Individually audited unsigned refusals per window: enough to see what is being sent. */
export const UNSIGNED_REFUSALS_PER_WINDOW = 10;
/** One minute: an operator reading the log sees at most one summary row a minute per edge. */
export const REFUSAL_WINDOW_MS = 60_000;

/** The action of the summary row. */
export const SUPPRESSED_ACTION = 'command.refused.suppressed';

export interface RefusalLimiterOptions {
  /** Writes one row; must not throw (AuditLog.record). */
  readonly write: (entry: AuditEntry) => void;
  readonly target: string;
  readonly now: () => number;
  readonly perWindow?: number;
  readonly windowMs?: number;
}

export class RefusalLimiter {
  readonly #o: RefusalLimiterOptions;
  readonly #perWindow: number;
  readonly #windowMs: number;
  #windowStartMs = Number.NEGATIVE_INFINITY;
  #inWindow = 0;
  #suppressed = 0;
  #firstSuppressedMs = 0;
  #lastSuppressedMs = 0;
  #lastReason = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RefusalLimiterOptions) {
    this.#o = options;
    this.#perWindow = options.perWindow ?? UNSIGNED_REFUSALS_PER_WINDOW;
    this.#windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
  }

  /**
   * Counts one unsigned refusal at `timeMs`. True: the caller audits it individually. False: it
   * was counted into the window's summary row.
   */
  admit(timeMs: number, reason: string): boolean {
    if (timeMs >= this.#windowStartMs + this.#windowMs) {
      this.flush();
      this.#windowStartMs = timeMs;
      this.#inWindow = 0;
    }
    this.#inWindow++;
    if (this.#inWindow <= this.#perWindow) return true;
    if (this.#suppressed === 0) {
      this.#firstSuppressedMs = timeMs;
      // Without more traffic the window would never close: a timer closes it. Unref'd, and the
      // receiver's close() flushes, so a stopping node neither waits for it nor loses the count.
      this.#timer = setTimeout(() => this.flush(), this.#windowMs).unref();
    }
    this.#suppressed++;
    this.#lastSuppressedMs = timeMs;
    this.#lastReason = reason;
    return false;
  }

  /** Writes the summary row of the current window, if anything was suppressed in it. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#suppressed === 0) return;
    const count = this.#suppressed;
    this.#suppressed = 0;
    this.#o.write({
      actor: 'unknown',
      action: SUPPRESSED_ACTION,
      target: this.#o.target,
      after: {
        count,
        firstMs: this.#firstSuppressedMs,
        lastMs: this.#lastSuppressedMs,
        lastReason: this.#lastReason,
        why: `more than ${this.#perWindow} unsigned commands refused within ${this.#windowMs} ms; counted, not audited one by one`,
      },
      timeMs: this.#o.now(),
    });
  }
}
