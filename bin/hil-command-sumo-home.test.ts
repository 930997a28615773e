// `calle hil traffic` on a machine without SUMO's XSD files (issue 14, item 4): Debian's `sumo`
// has no /usr/share/sumo; the route files of the Ingolstadt scenarios name an XSD, so SUMO quits.
// The command must then print SUMO's own error and the command line, not "Quitting (on error)".
// SUMO_HOME is read when sumo-process.ts loads: this file sets it before importing the command
// (ava runs each test file in its own process).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sumoScenarioDir } from '../hil-tests/sumo/scenario-data.js';

const emptyHome = mkdtempSync(join(tmpdir(), 'calle-no-sumo-home-'));
process.env.SUMO_HOME = emptyHome;
const { runHilCommand } = await import('./hil-command.js');
test.after.always(() => rmSync(emptyHome, { recursive: true, force: true }));

test('calle hil traffic — a SUMO failure prints SUMO’s error, the command line and the fix', async (t) => {
  const lines: string[] = [];
  const code = await runHilCommand(
    [
      'traffic',
      '--sumocfg',
      join(sumoScenarioDir('ingolstadt1'), 'ingolstadt1.sumocfg'),
      '--controller',
      'sumo',
      '--seconds',
      '5',
    ],
    { out: (l) => lines.push(l), err: (l) => lines.push(l) },
  );
  const text = lines.join('\n');
  t.is(code, 1, text);
  t.regex(text, /sumo said: Error: invalid document structure\n In file '.*ingolstadt1\.rou\.xml'/);
  t.regex(text, /command: sumo -n \S*ingolstadt1\.net\.xml -r \S*ingolstadt1\.rou\.xml .*--remote-port \d+/);
  t.regex(text, /SUMO_HOME=\S+ has no data\/xsd: install Debian's sumo-tools/);
});
