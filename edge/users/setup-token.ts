// The one-time setup token (ETSI EN 303 645 §5.1: no universal default password). When the node
// starts with no console user at all, it makes a random token and logs it once; whoever reads the
// node's log (someone with a shell or the serial console at the cabinet) can create the first
// engineer with it. The token lives only in memory, works once, and dies with the process or when
// any user exists. The alternative is `calle user add --role engineer` on the node.
import { randomBytes } from 'node:crypto';
import { sameToken } from './session-store.js';

export class SetupToken {
  #token: string | undefined;

  /** A token when `userCount` is 0, else none. */
  constructor(userCount: number) {
    if (userCount === 0) this.#token = randomBytes(18).toString('base64url');
  }

  /** The token to print once at start, or undefined. */
  get value(): string | undefined {
    return this.#token;
  }

  get pending(): boolean {
    return this.#token !== undefined;
  }

  /** True (and the token is spent) when `candidate` is the token. */
  consume(candidate: string): boolean {
    if (!sameToken(this.#token, candidate)) return false;
    this.#token = undefined;
    return true;
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
