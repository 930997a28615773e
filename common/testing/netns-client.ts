// Test helper: a client on another network address, for tests of rules that depend on where a
// request comes from (the coordinator's loopback-only /api/). It makes a Linux network namespace
// joined to this one by a veth pair, addressed from TEST-NET-1 (192.0.2.0/24, RFC 5737: reserved
// for documentation, never routed), and sends raw HTTP from inside it (raw-http.ts). The server
// under test sees a genuine non-loopback peer address over a real socket: nothing is mocked.
//
// Needs root (CAP_NET_ADMIN) and iproute2, as CI has. Without them the test fails saying so: a
// guard test that skips itself would pass on the machine where it matters least.
// Each client uses its own /30 out of TEST-NET-1 and its own names, so parallel runs do not clash;
// everything is removed in the test's teardown, whether it passed or not.
import type { ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RawRequest, RawResponse } from './raw-http.js';

const run = promisify(execFile);

export interface NetnsClient {
  /** This side's address: serve on it (or on 0.0.0.0) for the client to reach. */
  readonly hostAddress: string;
  /** The client's address, as the server will see it. */
  readonly clientAddress: string;
  /** Sends the requests from inside the namespace, in order; resolves with their responses. */
  send(requests: readonly RawRequest[]): Promise<RawResponse[]>;
}

const ip = async (...args: string[]): Promise<void> => {
  await run('ip', args);
};

/** A namespace with a veth link to this one, removed in the test's teardown. */
export async function netnsClient(t: ExecutionContext): Promise<NetnsClient> {
  if (process.getuid?.() !== 0)
    throw new Error(
      'netns client: this test must run as root (it creates a network namespace to send from a non-loopback address); CI runs as root',
    );
  const tag = `${process.pid.toString(36)}${randomInt(36 ** 3).toString(36)}`.slice(-7);
  const ns = `calle-${tag}`;
  const hostIf = `cgh${tag}`; // interface names: at most 15 bytes
  const nsIf = `cgn${tag}`;
  t.teardown(async () => {
    // Deleting the namespace destroys its end of the pair, and with it ours; both are tried in case
    // the setup stopped half-way.
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
  });
  await ip('netns', 'add', ns);
  await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
  await ip('link', 'set', nsIf, 'netns', ns);
  // A /30 of TEST-NET-1 picked at random: .4k+1 here, .4k+2 in the namespace.
  const base = 4 * randomInt(64);
  const hostAddress = `192.0.2.${base + 1}`;
  const clientAddress = `192.0.2.${base + 2}`;
  await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
  await ip('link', 'set', hostIf, 'up');
  await ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${clientAddress}/30`, 'dev', nsIf);
  await ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
  await ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');

  const script = fileURLToPath(new URL('./raw-http.ts', import.meta.url));
  return {
    hostAddress,
    clientAddress,
    send: async (requests) =>
      new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('error', reject);
        child.on('close', (code) => {
          if (code !== 0) reject(new Error(`netns client exited ${code}: ${Buffer.concat(err).toString()}`));
          else resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as RawResponse[]);
        });
        child.stdin.end(JSON.stringify(requests));
      }),
  };
}
