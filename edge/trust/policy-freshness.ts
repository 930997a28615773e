// Watches the expiry of the policy the edge runs (policy-expiry.ts). When it passes, the edge keeps
// running that policy — never the built-in defaults, never dark: an expired policy is one nobody
// re-vouched for, not one known to be wrong — and says so: the alarm POLICY_STALE (warning), with
// the version and when it expired, in the outbox (so it reaches the coordinator's dashboard as every
// alarm does) and in the console's status. It also asks the coordinator again, at once and then
// every REREQUEST_EVERY_MS while stale: a stuck Watch stream is the harmless reason a refresh does
// not arrive, and re-opening it is how the edge finds out. The alarm clears when a bundle that has
// not expired replaces the stale one (a refresh of the same version or a newer version).
//
// Time is read from the node's clock (`now`), so tests move it; the timer only decides how often it
// is read. The condition is not persisted: at a restart with a stale stored policy the first check
// raises the alarm again, which is what a restarted edge should say.
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { EdgeEvent } from '../telemetry-sink.js';
import { describeExpiry, expiryOf } from '../../common/signing/policy-expiry.js';

/** How often the expiry is compared with the clock: a minute late at most, for a validity of days. */
export const CHECK_EVERY_MS = 60_000;

/** While stale, how often the coordinator is asked again (re-opening the Watch stream). */
export const REREQUEST_EVERY_MS = 15 * 60_000;

export const POLICY_STALE = 'POLICY_STALE';

export interface PolicyFreshnessOptions {
  /** Where the alarm goes (Outbox.raise). */
  readonly raise: (event: EdgeEvent) => void;
  readonly log: Logger;
  readonly now: () => number;
  readonly checkEveryMs?: number;
  readonly rerequestEveryMs?: number;
}

/** What the console shows about the running policy's expiry. */
export interface FreshnessView {
  readonly version: number;
  readonly expiresMs: number;
  readonly stale: boolean;
}

export class PolicyFreshness {
  readonly #o: PolicyFreshnessOptions;
  #running: { version: number; expiresMs: number } | undefined;
  /** Set while POLICY_STALE is raised, with the version and expiry it was raised for. */
  #raised: { version: number; expiresMs: number } | undefined;
  #lastRequestMs = -Infinity;
  #rerequest: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: PolicyFreshnessOptions) {
    this.#o = options;
  }

  /**
   * How to ask the coordinator again (CoordinatorLink.requestPolicy). Set once the link exists; the
   * policy restored at boot is checked before that, and asked for at the first check after.
   */
  set rerequest(fn: (() => void) | undefined) {
    this.#rerequest = fn;
  }

  /** The running policy changed (restored, applied, refreshed); undefined = built-in defaults. */
  track(bundle: calle.v1.IPolicyBundle | undefined): void {
    this.#running = bundle && { version: Number(bundle.version ?? 0), expiresMs: expiryOf(bundle) };
    this.check();
  }

  get view(): FreshnessView | undefined {
    const r = this.#running;
    return r && { ...r, stale: r.expiresMs <= this.#o.now() };
  }

  /** Compares the running policy's expiry with the clock; raises, clears and re-requests. */
  check(): void {
    const now = this.#o.now();
    const r = this.#running;
    const stale = r !== undefined && r.expiresMs <= now;
    if (stale && !this.#raised) {
      this.#raised = r;
      this.#lastRequestMs = -Infinity;
      const message =
        `policy ${r.version} expired at ${describeExpiry(r.expiresMs, now)}; still running it, ` +
        'asking the coordinator for a fresh signature';
      this.#o.log.warn({ version: r.version, expiresMs: r.expiresMs }, `policy: ${message}`);
      this.#o.raise({ code: POLICY_STALE, severity: 'warning', message, timeMs: now, active: true });
    } else if (!stale && this.#raised) {
      const was = this.#raised;
      this.#raised = undefined;
      const message = r
        ? `policy ${r.version} is fresh again, valid until ${new Date(r.expiresMs).toISOString()}`
        : `policy ${was.version} no longer runs`;
      this.#o.log.info({ version: r?.version }, `policy: ${message}`);
      this.#o.raise({ code: POLICY_STALE, severity: 'warning', message, timeMs: now, active: false });
    }
    if (
      stale &&
      this.#rerequest &&
      now - this.#lastRequestMs >= (this.#o.rerequestEveryMs ?? REREQUEST_EVERY_MS)
    ) {
      this.#lastRequestMs = now;
      this.#rerequest();
    }
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.#o.checkEveryMs ?? CHECK_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The console status fields (ConsoleStatus.policyExpiresMs, policyStale); none without a policy. */
export function policyFreshnessStatus(view: FreshnessView | undefined): {
  policyExpiresMs?: number;
  policyStale?: boolean;
} {
  return view ? { policyExpiresMs: view.expiresMs, policyStale: view.stale } : {};
}
