import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../common/testing/temp-dir.js';
import { tripMetrics } from './trip-metrics.js';

test('trip metrics — RESCO delay: timeLoss + departDelay, unfinished included, never-departed wait to the end', (t) => {
  const file = join(tempDir(t), 'tripinfo.xml');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<!-- generated -->
<tripinfos>
  <tripinfo id="a" depart="10.00" departDelay="2.00" arrival="70.00" timeLoss="8.00" waitingTime="5.00"/>
  <tripinfo id="b" depart="20.00" departDelay="0.00" arrival="-1" timeLoss="30.00" waitingTime="25.00"/>
</tripinfos>`,
  );
  const m = tripMetrics(file, 100, [{ depart: 40 }]);
  t.is(m.vehicles, 3);
  t.is(m.throughput, 1);
  t.is(m.neverDeparted, 1);
  t.is(m.meanDelay, (10 + 30 + 60) / 3);
  t.is(m.meanWaiting, (5 + 25 + 60) / 3);
});
