// Starts an equipment simulator as a child process (the way it runs next to a real node), waits
// for its ready line, sends it control commands, and can kill it and bring it back on the same
// port: the "peer disappears / peer returns" of the driver conformance suite and the HIL tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface EquipmentProcessOptions {
  /** Script path relative to the repository root, for example hil-tests/equipment/modbus-equipment.ts. */
  readonly script: string;
  /** Arguments; "--port" is managed here (0 first, then the port it chose). */
  readonly args: readonly string[];
  /** Whether the script takes --port (the fill-sensor publisher does not). Default true. */
  readonly hasPort?: boolean;
  readonly readyTimeoutMs?: number;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class EquipmentProcess {
  readonly #opts: EquipmentProcessOptions;
  #child: ChildProcess | undefined;
  #port = 0;
  #nextId = 1;
  readonly #waiting = new Map<number, (r: Reply) => void>();
  #stderr = '';

  private constructor(opts: EquipmentProcessOptions) {
    this.#opts = opts;
  }

  static async start(opts: EquipmentProcessOptions): Promise<EquipmentProcess> {
    const p = new EquipmentProcess(opts);
    await p.start();
    return p;
  }

  get port(): number {
    return this.#port;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)starts the process, on the port it had before if it had one. */
  async start(): Promise<void> {
    if (this.#child) return;
    const args = [
      ...this.#opts.args,
      ...(this.#opts.hasPort === false ? [] : ['--port', String(this.#port)]),
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', this.#opts.script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#stderr = '';
    child.stderr?.on('data', (c: Buffer) => void (this.#stderr = (this.#stderr + c.toString()).slice(-4000)));
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<number>((resolve, reject) => {
      lines.on('line', (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (msg.ready === true) resolve(Number(msg.port ?? 0));
        else if (typeof msg.id === 'number') this.#waiting.get(msg.id)?.(msg as unknown as Reply);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`${this.#opts.script} exited (${code ?? signal}) before ready:\n${this.#stderr}`)),
      );
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      for (const [id, w] of this.#waiting) w({ id, ok: false, error: 'process exited' });
      this.#waiting.clear();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#opts.readyTimeoutMs ?? 15_000);
    try {
      this.#port = await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a control command; resolves with its result, rejects with its error. */
  async command(cmd: Record<string, unknown>): Promise<unknown> {
    const child = this.#child;
    if (!child?.stdin) throw new Error(`${this.#opts.script} is not running`);
    const id = this.#nextId++;
    const reply = new Promise<Reply>((resolve) => this.#waiting.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    const r = await reply;
    this.#waiting.delete(id);
    if (!r.ok) throw new Error(`${String(cmd.cmd)}: ${r.error ?? 'failed'}`);
    return r.result;
  }

  /** Kills the process (SIGKILL by default: the peer vanishes without a goodbye). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}
