// The remote commands an edge knows, each with its parameter check and what it does. The
// coordinator may send only these; the edge's configuration decides which of them it accepts
// (`commands.allow`), and by default that excludes anything that changes a traffic signal:
// flashing or restoring an intersection from afar is a decision for the engineer at the cabinet,
// who can see the junction (the console's flash action needs the engineer role on site).
//
// Every parameter check names the field and the reason; a command with a bad parameter does
// nothing. Shared below both parts: the coordinator refuses to send what the edge would refuse
// (cloud/commands/command-sender.ts), the edge checks and runs (edge/commands/).

/**
 * The longest a command may stay valid: long enough for a slow link, short enough to be stale. The
 * coordinator never issues a longer one; the edge refuses it (edge/commands/command-guard.ts).
 */
export const COMMAND_MAX_LIFETIME_MS = 10 * 60_000;
/**
 * Longest operator name a command may carry. The edge's audit row names "coordinator:<actor>" and
 * the audit log takes at most 200 characters there; a longer name would cost the row, so the
 * command is refused instead of carried out unaudited.
 */
export const COMMAND_MAX_ACTOR = 100;

/** What the commands act on: EdgeSite satisfies it. */
export interface CommandActions {
  overrideLighting(
    groupId: string,
    levelPct: number,
    durationS: number | undefined,
    actor: string,
  ): { ok: true; expiresMs: number } | { ok: false; reason: string };
  clearLightingOverride(groupId: string, actor: string): { ok: boolean; reason?: string };
  flashIntersection?(intersectionId: string, actor: string): { ok: boolean; reason?: string };
  restoreIntersection?(intersectionId: string, actor: string): { ok: boolean; reason?: string };
}

export type CommandOutcome =
  | { readonly done: true; readonly result: Record<string, unknown> }
  | { readonly done: false; readonly reason: string };

interface CommandContext {
  readonly actions: CommandActions;
  /** "coordinator:<operator>": who the site and the audit log see. */
  readonly actor: string;
  readonly edgeId: string;
  readonly nowMs: number;
}

interface CommandType {
  /** Parses and bounds the parameters; a string is the refusal reason. */
  parse(params: Record<string, unknown>): Record<string, unknown> | string;
  run(params: Record<string, unknown>, ctx: CommandContext): CommandOutcome;
}

/** Longest remote lighting override: a night. The site's own lease limits apply as well. */
const MAX_OVERRIDE_S = 12 * 3600;

function id(params: Record<string, unknown>, field: string): string | { error: string } {
  const v = params[field];
  if (typeof v !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v))
    return { error: `params.${field}: must be an id of 1 to 64 letters, digits, "_", "." or "-"` };
  return v;
}

function only(params: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(params).filter((k) => !allowed.includes(k));
  return extra.length > 0 ? `params.${extra[0]}: unknown parameter` : undefined;
}

const fromSite = (r: { ok: boolean; reason?: string }, result: Record<string, unknown>): CommandOutcome =>
  r.ok ? { done: true, result } : { done: false, reason: r.reason ?? 'refused by the site' };

/** An intersection action (flash, restore), when the site offers it. */
function intersectionCommand(action: 'flashIntersection' | 'restoreIntersection'): CommandType {
  return {
    parse(params) {
      const unknown = only(params, ['intersection']);
      if (unknown) return unknown;
      const x = id(params, 'intersection');
      return typeof x === 'string' ? { intersection: x } : x.error;
    },
    run(p, ctx) {
      const a = ctx.actions;
      const r =
        action === 'flashIntersection'
          ? a.flashIntersection?.(p.intersection as string, ctx.actor)
          : a.restoreIntersection?.(p.intersection as string, ctx.actor);
      if (!r) return { done: false, reason: `type: this edge has no ${action} action` };
      return fromSite(r, {
        intersection: p.intersection,
      });
    },
  };
}

export const COMMAND_TYPES: Readonly<Record<string, CommandType>> = {
  'diagnostics.ping': {
    parse: (params) => only(params, []) ?? {},
    run: (_p, ctx) => ({ done: true, result: { edgeId: ctx.edgeId, timeMs: ctx.nowMs } }),
  },
  'lighting.override': {
    parse(params) {
      const unknown = only(params, ['group', 'levelPct', 'durationS']);
      if (unknown) return unknown;
      const group = id(params, 'group');
      if (typeof group !== 'string') return group.error;
      const level = params.levelPct;
      if (typeof level !== 'number' || !(level >= 0 && level <= 100))
        return 'params.levelPct: must be a number from 0 to 100';
      const duration = params.durationS;
      if (
        duration !== undefined &&
        (typeof duration !== 'number' || !(duration > 0 && duration <= MAX_OVERRIDE_S))
      )
        return `params.durationS: must be a number of seconds in (0, ${MAX_OVERRIDE_S}]`;
      return { group, levelPct: level, ...(duration !== undefined ? { durationS: duration } : {}) };
    },
    run(p, ctx) {
      const r = ctx.actions.overrideLighting(
        p.group as string,
        p.levelPct as number,
        p.durationS as number | undefined,
        ctx.actor,
      );
      return r.ok
        ? { done: true, result: { group: p.group, expiresMs: r.expiresMs } }
        : { done: false, reason: r.reason };
    },
  },
  'lighting.clear-override': {
    parse(params) {
      const unknown = only(params, ['group']);
      if (unknown) return unknown;
      const group = id(params, 'group');
      return typeof group === 'string' ? { group } : group.error;
    },
    run: (p, ctx) =>
      fromSite(ctx.actions.clearLightingOverride(p.group as string, ctx.actor), { group: p.group }),
  },
  'intersection.flash': intersectionCommand('flashIntersection'),
  'intersection.restore': intersectionCommand('restoreIntersection'),
};

/** Accepted when the configuration says nothing: nothing that touches a signal. */
export const DEFAULT_ALLOWED_COMMANDS: readonly string[] = [
  'diagnostics.ping',
  'lighting.override',
  'lighting.clear-override',
];
