// `calle command EDGE TYPE [name=value …] --actor NAME`: sends one signed command to one edge
// through the coordinator's command API (cloud/http/command-api.ts) and prints the edge's answer.
// Values are read as JSON where they parse (levelPct=40 is a number), as text otherwise.
import { parseArgs } from 'node:util';
import type { CommandResult } from '../cloud/commands/command-sender.js';
import type { CommandIo } from './policy-command.js';

export const COMMAND_USAGE = `Usage:
  calle command EDGE TYPE [NAME=VALUE …] --actor NAME [--ttl SECONDS] [--coordinator URL]
      Sends a command, signed by the coordinator, to one edge and prints its answer. Types:
      diagnostics.ping; lighting.override group=G levelPct=0..100 [durationS=S];
      lighting.clear-override group=G; intersection.flash|restore intersection=X (only where the
      edge's configuration allows them). It expires after --ttl seconds (default 60, at most 600).
      Exit 0 done, 1 refused or no answer, 2 bad arguments.
  --coordinator defaults to http://127.0.0.1:8090 (calle cloud's --http).`;

const consoleIo: CommandIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs `calle command …`; resolves to the process exit code. */
export async function runCommandCommand(args: string[], io: CommandIo = consoleIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        actor: { type: 'string' },
        ttl: { type: 'string' },
        coordinator: { type: 'string', default: 'http://127.0.0.1:8090' },
      },
    });
  } catch (err) {
    io.err(`calle command: ${(err as Error).message}\n${COMMAND_USAGE}`);
    return 2;
  }
  const [edgeId, type, ...pairs] = parsed.positionals;
  const { actor, ttl } = parsed.values;
  if (!edgeId || !type || !actor) {
    io.err(`calle command: EDGE, TYPE and --actor are required\n${COMMAND_USAGE}`);
    return 2;
  }
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      io.err(`calle command: '${pair}' is not NAME=VALUE`);
      return 2;
    }
    const raw = pair.slice(eq + 1);
    try {
      params[pair.slice(0, eq)] = JSON.parse(raw);
    } catch {
      params[pair.slice(0, eq)] = raw;
    }
  }
  const ttlS = ttl === undefined ? undefined : Number(ttl);
  if (ttlS !== undefined && !Number.isFinite(ttlS)) {
    io.err(`calle command: --ttl '${ttl}' is not a number of seconds`);
    return 2;
  }
  const base = parsed.values.coordinator.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/edges/${encodeURIComponent(edgeId)}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, params, actor, ...(ttlS !== undefined ? { ttlS } : {}) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    io.err(
      `calle command: cannot reach the coordinator at ${base}: ${cause?.code ?? (err as Error).message}`,
    );
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as Partial<CommandResult> & { message?: string };
  if (res.status === 400) {
    io.err(`calle command: ${body.message ?? 'refused by the coordinator'}`);
    return 2;
  }
  if (!body.outcome) {
    io.err(`calle command: coordinator answered ${res.status}: ${body.message ?? ''}`);
    return 1;
  }
  const id = body.commandId ?? '';
  if (body.outcome === 'done') {
    io.out(`${edgeId}: ${type} done (command ${id})${body.result ? ` ${JSON.stringify(body.result)}` : ''}`);
    return 0;
  }
  io.err(
    `${edgeId}: ${type} ${body.outcome === 'refused' ? 'refused' : 'no answer'} (command ${id}): ${body.reason}`,
  );
  return 1;
}
