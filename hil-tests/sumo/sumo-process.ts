// Starts `sumo` as a child process on a free TraCI port and connects calle's client to it.
//
// Hazards: SUMO_HOME must be set in the child's environment or route files naming an XSD fail
// with "invalid document structure" (REFERENCE §1); the port is found by binding port 0 and
// releasing it, so another process could take it in between — SUMO then exits with an error
// that is reported with its stderr. SUMO writes its output files (tripinfo) only when the
// TraCI connection closes, so `close()` waits for the process to exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { TraciClient } from './traci-client.js';

export const SUMO_BINARY = process.env.SUMO_BINARY ?? 'sumo';
export const SUMO_HOME = process.env.SUMO_HOME ?? '/usr/share/sumo';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface SumoProcess {
  readonly client: TraciClient;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything SUMO wrote to stderr so far (warnings, errors). */
  stderr(): string;
  /** Closes TraCI and waits for SUMO to exit (it writes its outputs then); kills it after `graceMs`. */
  close(graceMs?: number): Promise<number | null>;
}

/** Runs `sumo <args> --remote-port P` and connects; the process is killed if connecting fails. */
export async function startSumo(args: readonly string[], opts: { cwd?: string } = {}): Promise<SumoProcess> {
  const port = await freePort();
  const child = spawn(SUMO_BINARY, [...args, '--remote-port', String(port)], {
    cwd: opts.cwd,
    env: { ...process.env, SUMO_HOME },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (err.length < 64 * 1024) err += s;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const early = exited.then((code) => {
    throw new Error(
      `sumo exited with code ${code} before TraCI connected: ${spawnError?.message ?? err.trim()}`,
    );
  });
  let client: TraciClient;
  try {
    client = await Promise.race([TraciClient.connect(port, { timeoutMs: 15_000 }), early]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  early.catch(() => undefined);
  return {
    client,
    port,
    child,
    stderr: () => err,
    async close(graceMs = 30_000) {
      await client.close();
      if (child.exitCode !== null) return child.exitCode;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
