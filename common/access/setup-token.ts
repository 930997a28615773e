// The one-time setup token (ETSI EN 303 645 §5.1: no universal default password). When the node
// starts with no console user at all, it makes a random token and logs it once; whoever reads the
// node's log (someone with a shell or the serial console at the cabinet) can create the first
// engineer with it. The token lives only in memory, works once, and dies with the process or when
// any user exists. The alternative is `calle user add --role engineer` on the node.
//
// Wrong tokens are limited per client address, never for everyone (issue 13, finding 9). A lock on
// the setup itself (5 wrong tokens from anyone → nobody for 15 minutes) let any stranger on the
// network keep the installer out indefinitely with five requests every quarter hour, and bought
// nothing: the token is 144 random bits, so guessing is hopeless at any rate (even 10^9 addresses
// × 5 tries per window leave a chance below 2^-100). A name lockout protects a low-entropy
// password; here it was only a denial of service. So each address gets FAILURES_PER_ADDRESS wrong
// tokens per WINDOW_MS, which stops a noisy client without touching anyone else.
import { randomBytes } from 'node:crypto';
import { sameToken } from './session-store.js';

/** Wrong tokens one client address may send within WINDOW_MS. */
export const FAILURES_PER_ADDRESS = 5;
export const WINDOW_MS = 15 * 60_000;
/** Addresses remembered at most: a scan from many addresses must not grow memory without limit. */
const MAX_ADDRESSES = 10_000;

export type SetupAttempt =
  | { readonly ok: true }
  /** Not the token (or no token any more); counted against this address only. */
  | { readonly ok: false; readonly refused: 'wrong' }
  /** This address sent too many wrong tokens; others are not affected. */
  | { readonly ok: false; readonly refused: 'rate'; readonly retryAfterS: number };

export class SetupToken {
  #token: string | undefined;
  readonly #now: () => number;
  /** Per client address, the times of its recent wrong tokens (oldest first). */
  readonly #failures = new Map<string, number[]>();

  /** A token when `userCount` is 0, else none. */
  constructor(userCount: number, now: () => number = Date.now) {
    if (userCount === 0) this.#token = randomBytes(18).toString('base64url');
    this.#now = now;
  }

  /** The token to print once at start, or undefined. */
  get value(): string | undefined {
    return this.#token;
  }

  get pending(): boolean {
    return this.#token !== undefined;
  }

  /**
   * Spends the token when `candidate` is it. A wrong one counts against `address`; past
   * FAILURES_PER_ADDRESS in WINDOW_MS that address is refused (even the right token) until the
   * oldest of them is WINDOW_MS old.
   */
  attempt(candidate: string, address: string): SetupAttempt {
    const now = this.#now();
    const recent = (this.#failures.get(address) ?? []).filter((t) => t > now - WINDOW_MS);
    if (recent.length >= FAILURES_PER_ADDRESS) {
      this.#failures.set(address, recent);
      const retryAfterS = Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
      return { ok: false, refused: 'rate', retryAfterS };
    }
    if (sameToken(this.#token, candidate)) {
      this.#token = undefined;
      this.#failures.clear();
      return { ok: true };
    }
    if (this.#failures.size >= MAX_ADDRESSES && !this.#failures.has(address)) this.#failures.clear();
    recent.push(now);
    this.#failures.set(address, recent);
    return { ok: false, refused: 'wrong' };
  }

  /** Puts back a token that was consumed by a request that then failed (a too-short password). */
  restore(token: string): void {
    this.#token = token;
  }

  /** Called when a user was created some other way (the CLI). */
  revoke(): void {
    this.#token = undefined;
  }
}
