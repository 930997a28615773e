// Starts `sumo` as a child process on a free TraCI port and connects calle's client to it.
//
// Hazards: SUMO_HOME must be set in the child's environment or route files naming an XSD fail
// with "invalid document structure" (REFERENCE §1), and Debian ships those XSD files in
// `sumo-tools`, not `sumo` (deploy/system-packages.sh installs both); the port is found by binding port 0 and
// releasing it, so another process could take it in between — SUMO then exits with an error
// that is reported with its stderr. SUMO writes its output files (tripinfo) only when the
// TraCI connection closes, so `close()` waits for the process to exit.
//
// When SUMO fails, what it said is the only useful clue, and it arrives late: SUMO accepts the
// TraCI connection before it loads the routes, so a bad input first shows as a reset socket, and
// Node may report the exit before the last stderr chunk. `failure()` waits for the stream to
// close, then names SUMO's own `Error:` lines and the command line (issue 14: a fresh machine
// printed only "Quitting (on error)").
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
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
  /** What SUMO wrote to stderr so far (warnings, errors; the start and the end if it was long). */
  stderr(): string;
  /**
   * An Error for a failed run: `what` went wrong on our side, then SUMO's own error lines, the
   * exit code and the command line. Waits (up to `waitMs`) for SUMO to exit and its stderr to
   * close, killing it if it does not exit.
   */
  failure(what: string, cause?: unknown, waitMs?: number): Promise<Error>;
  /** Closes TraCI and waits for SUMO to exit (it writes its outputs then); kills it after `graceMs`. */
  close(graceMs?: number): Promise<number | null>;
}

/** Stderr kept from the start and from the end each (a flood of warnings must not hide the error). */
const STDERR_KEEP = 32 * 1024;

export interface SumoStartOptions {
  readonly cwd?: string;
  /** SUMO_HOME for the child (default: the SUMO_HOME environment variable, else /usr/share/sumo). */
  readonly sumoHome?: string;
}

/** Runs `sumo <args> --remote-port P` and connects; the process is killed if connecting fails. */
export async function startSumo(args: readonly string[], opts: SumoStartOptions = {}): Promise<SumoProcess> {
  const port = await freePort();
  const argv = [...args, '--remote-port', String(port)];
  const sumoHome = opts.sumoHome ?? SUMO_HOME;
  const child = spawn(SUMO_BINARY, argv, {
    cwd: opts.cwd,
    env: { ...process.env, SUMO_HOME: sumoHome },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let head = '';
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (head.length < STDERR_KEEP) head += s;
    else tail = (tail + s).slice(-STDERR_KEEP);
  });
  const stderr = (): string => (tail ? `${head}\n…\n${tail}` : head);
  const streamClosed = new Promise<void>((resolve) => child.stderr.once('close', resolve));
  let spawnError: Error | undefined;
  // A binary that cannot start emits 'error' and no 'exit'.
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (e) => {
      spawnError = e;
      resolve(null);
    });
  });
  const failure = async (what: string, cause?: unknown, waitMs = 5000): Promise<Error> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, waitMs);
    });
    await Promise.race([Promise.all([exited, spawnError ? undefined : streamClosed]), deadline]);
    clearTimeout(timer);
    return new Error(
      sumoFailureText({
        what,
        code: child.exitCode,
        stderr: spawnError ? `${spawnError.message}\n${stderr()}` : stderr(),
        argv,
        sumoHome,
      }),
      cause === undefined ? undefined : { cause },
    );
  };
  const early = exited.then(async (code) => {
    throw await failure(`sumo exited with code ${code} before TraCI connected`);
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
    stderr,
    failure,
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

/**
 * The text of a SUMO failure: what went wrong, SUMO's own error (from its first `Error:` line to
 * the end, or its last lines when it printed none), the exit code, the command, and a hint when
 * SUMO_HOME has no XSD files (Debian's `sumo-tools` is missing).
 */
export function sumoFailureText(o: {
  what: string;
  code: number | null;
  stderr: string;
  argv: readonly string[];
  sumoHome: string;
}): string {
  const lines = o.stderr.trim().split('\n');
  const first = lines.findIndex((l) => /^Error:/.test(l));
  const said = (first >= 0 ? lines.slice(first) : lines.slice(-12)).join('\n').trim();
  const hint = existsSync(join(o.sumoHome, 'data', 'xsd'))
    ? ''
    : `\nSUMO_HOME=${o.sumoHome} has no data/xsd: install Debian's sumo-tools (deploy/system-packages.sh) or set SUMO_HOME`;
  const quote = (a: string): string => (/^[\w./:=,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [
    o.what,
    `sumo said: ${said || '(nothing on stderr)'}`,
    `sumo exit code: ${o.code ?? 'none (killed)'}`,
    `command: ${[SUMO_BINARY, ...o.argv].map(quote).join(' ')}${hint}`,
  ].join('\n');
}
