// A private PostgreSQL 15 for tests, as cloud/testing/harness.ts starts a private nats-server:
// initdb in a temp dir (trust authentication, local to this test run), postgres on a free port
// bound to 127.0.0.1, a fresh database per call of database(), everything stopped and removed in
// the teardown. PostgreSQL refuses to run as root, so as root (CI, this machine) it runs as the
// `postgres` user the Debian package creates. Binaries from Debian's layout
// (/usr/lib/postgresql/15/bin, deploy/system-packages.sh installs postgresql-15), else from PATH.
import type { ExecutionContext } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const DEBIAN_BIN = '/usr/lib/postgresql/15/bin';
const bin = (name: string): string => (existsSync(join(DEBIAN_BIN, name)) ? join(DEBIAN_BIN, name) : name);

/** Runs a PostgreSQL binary as the user it must run as (`postgres` when we are root). */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', bin(cmd), ...args]]
    : [bin(cmd), args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class LocalPostgres {
  #databases = 0;

  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  /** postgres://… of a new, empty database on this server. */
  async database(): Promise<string> {
    const name = `calle_${++this.#databases}`;
    const admin = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      database: 'postgres',
    });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return this.url(name);
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<LocalPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'calle-pg-'));
    chmodSync(dir, 0o700);
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const data = join(dir, 'data');
    const [initdb, initArgs] = asOwner('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await run(initdb, initArgs);
    const server = new LocalPostgres(await freePort(), dir);
    await server.#run();
    return server;
  }

  /** Starts postgres on this server's port and files; resolves once it accepts connections. */
  async #run(): Promise<void> {
    // fsync stays on (the durability under test is the default one); small buffers: many run at once.
    const [postgres, args] = asOwner('postgres', [
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.dir}`,
      '-c',
      'shared_buffers=32MB',
      '-c',
      'max_connections=100',
    ]);
    const child = spawn(postgres, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#process = child;
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const probe = new pg.Client({
        host: '127.0.0.1',
        port: this.port,
        user: 'postgres',
        database: 'postgres',
      });
      try {
        await probe.connect();
        await probe.end();
        return;
      } catch {
        await probe.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) {
          await this.stop();
          throw new Error(`postgres did not start on port ${this.port}: ${log.slice(-2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Crashes the server (kill) and starts it again on the same port and files (crash recovery). */
  async restart(): Promise<void> {
    await this.kill();
    await this.#run();
  }

  /** Stops the server (immediate shutdown: a crash, as far as the data is concerned) and keeps its files. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The postmaster's own pid (runuser, our child when root, does not pass SIGQUIT on).
    let pid = child.pid!;
    try {
      pid = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]) || pid;
    } catch {
      // Not written yet (a start that failed early): the child itself.
    }
    process.kill(pid, 'SIGQUIT');
    await exited;
  }

  /** Stops the server and removes its files. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A private PostgreSQL for one test, stopped and removed when it ends. */
export async function startPostgres(t: ExecutionContext): Promise<LocalPostgres> {
  const server = await LocalPostgres.start();
  t.teardown(async () => server.stop());
  return server;
}
