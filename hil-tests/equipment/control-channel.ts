// The equipment simulators' control channel: JSON lines on stdin, one answer per line on stdout.
// Deliberately not a network port: only the process that started the simulator (a test, the HIL
// harness) can inject faults into it.
import { createInterface } from 'node:readline';

export type Handler = (cmd: Record<string, unknown>) => unknown;

/** Serves commands from stdin until it closes, then calls onEnd (the parent is gone: exit). */
export function serveControl(handlers: Record<string, Handler>, onEnd: () => Promise<void>): void {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let id: unknown = null;
    try {
      const cmd = JSON.parse(line) as Record<string, unknown>;
      id = cmd.id ?? null;
      const handler = handlers[String(cmd.cmd)];
      if (!handler)
        throw new Error(`unknown command "${String(cmd.cmd)}" (known: ${Object.keys(handlers).join(', ')})`);
      const result = handler(cmd);
      process.stdout.write(`${JSON.stringify({ id, ok: true, result: result ?? null })}\n`);
    } catch (err) {
      process.stdout.write(
        `${JSON.stringify({ id, ok: false, error: err instanceof Error ? err.message : String(err) })}\n`,
      );
    }
  });
  rl.on('close', () => void onEnd());
}
