// What a process has started so far, so that it can stop all of it: in reverse order at a normal
// stop, and just the same when the start fails half-way. Issue 13, finding 5: a `calle edge` whose
// console port was taken had already started its control loops, NATS, commands and gRPC, threw,
// and stayed alive on their timers — a controller nobody knew was running.
import type { Logger } from 'pino';

interface Part {
  readonly name: string;
  readonly stop: () => void | Promise<void>;
}

export class StartedParts {
  readonly #log: Logger;
  readonly #parts: Part[] = [];
  #stopping: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Records a part that has started, with what stops it. */
  add(name: string, stop: () => void | Promise<void>): void {
    this.#parts.push({ name, stop });
  }

  /** Names of the parts started and not yet stopped, in start order (for logs and tests). */
  get names(): readonly string[] {
    return this.#parts.map((p) => p.name);
  }

  /**
   * Stops every part, newest first. One part failing to stop is logged and does not keep the
   * others running. Calling it again returns the same promise.
   */
  async stopAll(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const part of this.#parts.splice(0).reverse()) {
        try {
          await part.stop();
        } catch (err) {
          this.#log.error({ err, part: part.name }, 'stop: a part failed to stop');
        }
      }
    })();
    return this.#stopping;
  }
}
