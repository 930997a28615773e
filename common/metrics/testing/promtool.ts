// `promtool check metrics` (Debian's prometheus package) on an exposition: Prometheus's own
// linter, written by nobody here, so our reading of the text format and of its naming rules
// (units in names, `_total` on counters, HELP and TYPE on every family) is checked by theirs.
import { spawn } from 'node:child_process';

export interface PromtoolResult {
  /** promtool's exit code: 0 clean, 3 lint problems, 1 unparsable. */
  readonly code: number;
  /** One line per problem, as promtool prints them ("name: reason"). */
  readonly problems: string[];
}

export async function promtoolCheckMetrics(exposition: string): Promise<PromtoolResult> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c ?? -1));
    child.stdin.end(exposition);
  });
  return { code, problems: out.split('\n').filter((l) => l.trim() !== '') };
}
