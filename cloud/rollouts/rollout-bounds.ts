// What a staged rollout's timing may be (issue 13, finding 9: `stageTimeoutMs: 0` and
// `windowMs: 0` were accepted). The floors come from the health gate itself, which looks at a
// rollout once per tick (RolloutManager's tickMs, 1 s in production):
// - windowMs, the quiet time after a stage's last ack in which a critical alarm halts the rollout,
//   must last at least one tick. The gate cannot observe less: 0 (or anything under a tick)
//   releases the next stage at the first tick after the last ack, leaving an alarm the edge
//   raises after applying no time to arrive — the health gate reduced to "it acked".
// - stageTimeoutMs must last at least two ticks: a stage's acks are counted at the next tick, so a
//   timeout of one tick or less can fire before any edge could have been counted, and every
//   rollout would roll itself back. (The dashboard's form asks for 1 s or more, above this.)
// The ceilings catch a slip of the finger (extra zeros) that would leave a rollout waiting for ever
// with nothing tracking it: a window beyond a day, or a stage given more than a week. An operator
// who needs to wait longer halts the rollout and resumes it.
import type { FieldProblem } from '../../common/schema/json-schema.js';

const DAY_MS = 24 * 3_600_000;
export const MAX_WINDOW_MS = DAY_MS;
export const MAX_STAGE_TIMEOUT_MS = 7 * DAY_MS;

export interface RolloutTiming {
  readonly windowMs?: number;
  readonly stageTimeoutMs?: number;
  readonly rollbackTo?: number;
}

/**
 * Reads windowMs, stageTimeoutMs and rollbackTo from an API body, each optional, for a gate that
 * ticks every `gateTickMs`. Every problem names its field; the values are kept only when all are
 * good.
 */
export function rolloutTimingOf(
  body: Readonly<Record<string, unknown>>,
  gateTickMs: number,
): { timing: RolloutTiming; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const whole = (field: string, min: number, max: number, why: string): number | undefined => {
    const value = body[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      problems.push({ field, reason: `must be a whole number, got ${JSON.stringify(value)}` });
    else if (value < min) problems.push({ field, reason: `${value} is below the minimum ${min} (${why})` });
    else if (value > max) problems.push({ field, reason: `${value} is above the maximum ${max}` });
    else return value;
    return undefined;
  };
  const windowMs = whole('windowMs', gateTickMs, MAX_WINDOW_MS, 'one health-gate tick');
  const stageTimeoutMs = whole(
    'stageTimeoutMs',
    2 * gateTickMs,
    MAX_STAGE_TIMEOUT_MS,
    'two health-gate ticks',
  );
  const rollbackTo = whole('rollbackTo', 1, Number.MAX_SAFE_INTEGER, 'versions start at 1');
  return {
    timing: {
      ...(windowMs !== undefined ? { windowMs } : {}),
      ...(stageTimeoutMs !== undefined ? { stageTimeoutMs } : {}),
      ...(rollbackTo !== undefined ? { rollbackTo } : {}),
    },
    problems,
  };
}
