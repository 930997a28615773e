// Starts a private mosquitto for tests and the hardware-in-the-loop rig: loopback only, anonymous,
// no persistence, its config in a temp directory. Mosquitto cannot bind port 0 (in its config,
// port 0 means a unix socket), so a free port is found first; the same port survives
// stop()/start(), so a test can kill the broker and bring it back where the clients expect it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalBrokerOptions {
  /** Port; 0 (default) finds a free one on first start. */
  readonly port?: number;
  /** Path to the mosquitto binary; default /usr/sbin/mosquitto (Debian's package). */
  readonly binary?: string;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export class LocalMqttBroker {
  #child: ChildProcess | undefined;
  #port: number;
  readonly #dir = mkdtempSync(join(tmpdir(), 'calle-mqtt-'));
  readonly #binary: string;

  private constructor(options: LocalBrokerOptions) {
    this.#port = options.port ?? 0;
    this.#binary = options.binary ?? '/usr/sbin/mosquitto';
  }

  /** Starts a broker and resolves once it listens. */
  static async start(options: LocalBrokerOptions = {}): Promise<LocalMqttBroker> {
    const broker = new LocalMqttBroker(options);
    try {
      await broker.start();
    } catch (err) {
      rmSync(broker.#dir, { recursive: true, force: true });
      throw err;
    }
    return broker;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)starts the broker on the same port. */
  async start(): Promise<void> {
    if (this.#child) return;
    // A port found free may be taken before mosquitto binds it; try a fresh one a few times.
    for (let attempt = 0; ; attempt++) {
      const chosen = this.#port === 0;
      if (chosen) this.#port = await freePort();
      try {
        await this.#spawn();
        return;
      } catch (err) {
        if (!chosen || attempt >= 2) throw err;
        this.#port = 0;
      }
    }
  }

  async #spawn(): Promise<void> {
    const conf = join(this.#dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${this.#port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        'log_type information',
        '',
      ].join('\n'),
    );
    const child = spawn(this.#binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let log = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (/mosquitto version \S+ running/.test(log)) {
          child.stderr?.off('data', onData);
          // Keep draining stderr so a chatty broker never blocks on a full pipe.
          child.stderr?.resume();
          resolve();
        }
      };
      child.stderr?.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code} before ready:\n${log}`)));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      await ready;
    } catch (err) {
      this.#child = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the broker: SIGTERM, or SIGKILL to simulate a crash. The port is kept for start(). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Stops the broker and removes its config directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
