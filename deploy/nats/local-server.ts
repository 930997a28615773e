// Starts a private nats-server with JetStream for the demo and for tests: loopback only, a free
// port chosen by the server itself, its store in a directory the caller owns. The same port and
// store survive stop()/start(), so a test can cut the broker and bring it back.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalNatsOptions {
  /** JetStream store directory; a temp dir (removed by close()) when absent. */
  readonly storeDir?: string;
  /** Client port; 0 (default) lets the server pick a free one on first start. */
  readonly port?: number;
  /** Path to the nats-server binary. */
  readonly binary?: string;
  /** A configuration file to start from; the port, address and store flags still apply. */
  readonly configFile?: string;
  /** Extra environment (a configuration file's $VARIABLES). */
  readonly env?: Readonly<Record<string, string>>;
}

export class LocalNatsServer {
  #child: ChildProcess | undefined;
  #port: number;
  readonly #storeDir: string;
  readonly #ownsStore: boolean;
  readonly #binary: string;
  readonly #configArgs: string[];
  readonly #env: Readonly<Record<string, string>>;

  private constructor(options: LocalNatsOptions) {
    this.#configArgs = options.configFile ? ['-c', options.configFile] : [];
    this.#env = options.env ?? {};
    this.#port = options.port ?? 0;
    this.#ownsStore = options.storeDir === undefined;
    this.#storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'calle-nats-'));
    this.#binary = options.binary ?? 'nats-server';
  }

  /** Starts a server and resolves once it accepts clients. */
  static async start(options: LocalNatsOptions = {}): Promise<LocalNatsServer> {
    const server = new LocalNatsServer(options);
    await server.start();
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)starts the server on the same port and store. */
  async start(): Promise<void> {
    if (this.#child) return;
    // -1 asks nats-server for a random free port; we read the one it chose from its log.
    const port = this.#port === 0 ? -1 : this.#port;
    const args = [...this.#configArgs, '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', this.#storeDir];
    const child = spawn(this.#binary, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...this.#env },
    });
    this.#child = child;
    let log = '';
    const ready = new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
        if (m?.[1] && log.includes('Server is ready')) {
          child.stderr?.off('data', onData);
          // Keep draining stderr so a chatty server never blocks on a full pipe.
          child.stderr?.resume();
          resolve(Number(m[1]));
        }
      };
      child.stderr?.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`nats-server exited with ${code} before ready:\n${log}`)),
      );
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      this.#port = await ready;
    } catch (err) {
      this.#child = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the server: SIGTERM, or SIGKILL to simulate a crash. The store is kept. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Stops the server and removes its store if this object created it. */
  async close(): Promise<void> {
    await this.stop();
    if (this.#ownsStore) rmSync(this.#storeDir, { recursive: true, force: true });
  }
}
