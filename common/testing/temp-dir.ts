// Test helper: a temp directory removed when the test ends, pass or fail.
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';

export function tempDir(t: ExecutionContext, prefix = 'calle-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger that keeps quiet unless CALLE_TEST_LOG names a level. */
export function testLogger(): Logger {
  return pino({ level: process.env.CALLE_TEST_LOG ?? 'silent' });
}
