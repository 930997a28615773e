// Every reason code the node gives, with its English. One catalogue, as fastify keeps its error
// codes: a code is stable once shipped (the console and scripts key on it), its English may be
// reworded. The console's Spanish and English templates (edge/console/public/i18n.js) cover every
// code here; edge/console/reason-codes.test.ts holds both to that, and runs the real site to check
// that every reason it produces comes from here.
//
// Parameters are what the text needs, in the units the text shows (levels in %, times HH:MM Madrid).
type P = Readonly<Record<string, string | number>>;
const STARTUP = 'start-up all-red';
const HELD = 'all red, held for a manual flash';
const s = (v: string | number | undefined): string => String(v ?? '');

export const ENGLISH = {
  // Lighting: the rule that decided a group's level (edge/control/lighting-*.ts).
  'light.undecided': () => 'not decided yet',
  'light.failOn.clock': () => 'fail-on: clock not set (before 2020)',
  'light.failOn.sun': () => 'fail-on: no sunrise/sunset for this place and day',
  'light.failOn.schedule': (p: P) => `fail-on: schedule unknown (${s(p.detail)})`,
  'light.day': (p: P) => `day: sunrise ${s(p.sunrise)}, sunset ${s(p.sunset)} (Madrid) → off`,
  'light.beforeFirst': (p: P) => `${s(p.rule)}: night, before the first step → 100 %`,
  'light.step': (p: P) => `${s(p.rule)}: ${s(p.at)}${s(p.offset)} → ${s(p.level)} %`,
  'light.override': (p: P) => `override by ${s(p.actor)} until ${s(p.until)} → ${s(p.level)} %`,
  'light.presence': (p: P) => `presence: ${s(p.detector)} (hold ${s(p.hold)} s) → ${s(p.level)} %`,
  'light.photocell': (p: P) => `photocell: light (≥ ${s(p.lux)} lx) → off`,
  'light.class': (p: P) =>
    `class ${s(p.label)} for ${s(p.band)} traffic (${s(p.flow)} veh/h of ${s(p.capacity)}; design ${s(p.design)}) → ${s(p.pct)} % of`,
  'light.classPeriod': (p: P) =>
    `class ${s(p.label)} for ${s(p.band)} traffic (${s(p.flow)} veh/h of ${s(p.capacity)}; design ${s(p.design)}, ` +
    `weights ${s(p.weights)} ${s(p.from)}–${s(p.to)}) → ${s(p.pct)} % of`,
  'light.clo': (p: P) =>
    `constant light: ${s(p.pct)} % (MF ${s(p.mf)}, output ${Number(p.output).toFixed(3)} at ${s(p.hours)} h) of`,
  'light.ramp': (p: P) => `(ramping to ${s(p.level)} %)`,
  'light.driverMin': (p: P) => `driver minimum → ${s(p.level)} %`,
  // Signals: what an intersection's plan does, or why it flashes (edge/control/intersection-*.ts).
  'signal.startup': () => `plan: ${STARTUP}`,
  'signal.held': () => `plan: ${HELD}`,
  'signal.stage': (p: P) => `plan: ${stageText(p)}`,
  'signal.enteringFlash': (p: P) => `→ entering manual flash (by ${s(p.actor)})`,
  'signal.manualFlash': (p: P) => `manual flash: by ${s(p.actor)}`,
  'signal.latched': () => 'flash:',
  'signal.headUnavailable': (p: P) => `head ${s(p.heads)} unavailable`,
  'signal.proposedInFlash': () => 'a state was proposed during a manual flash',
  /** A safety rule the supervisor caught (signal-supervisor.ts words it). */
  'signal.violation': (p: P) => s(p.detail),
  // Devices: why one is unavailable (edge/site/device-registry.ts).
  'device.noReading': () => 'no reading yet',
  'device.driverStart': (p: P) => `driver ${s(p.driver)} failed to start: ${s(p.detail)}`,
  'device.writeFailed': (p: P) => `write ${s(p.point)}=${s(p.value)} failed: ${s(p.detail)}`,
  /** What the device's driver reported, in its words. */
  'device.error': (p: P) => s(p.detail),
  // Console and remote actions refused (edge/site/site-*.ts, intersection-controller.ts).
  'action.notLatched': () => 'not latched',
  'action.localOnly': () => 'a latched flash can only be cleared locally, at the cabinet',
  'action.unknownIntersection': (p: P) => `unknown intersection "${s(p.id)}"`,
  'action.unknownGroup': (p: P) => `unknown lighting group "${s(p.id)}"`,
  'action.noOverride': (p: P) => `no override on "${s(p.id)}"`,
  'action.noClock': () => 'clock not set: an override lease cannot be timed',
  'action.alreadyFlashing': () => 'already in manual flash',
  'action.alreadyEntering': () => 'already entering flash',
  'action.stillEntering': () => 'still entering flash: restore once the heads flash',
  'action.notFlashing': () => 'not in manual flash',
  'action.latchedFirst': (p: P) => `latched (${s(p.fault)}): clear the fault first`,
  'action.latchedLocal': (p: P) => `latched (${s(p.fault)}): clear the fault locally instead`,
  /** A request with a value out of bounds ("levelPct: 120 is outside 0..100"). */
  'action.invalid': (p: P) => s(p.detail),
  // Policies refused (edge/policy/, edge/trust/).
  'policy.unsigned': () => 'signature: the bundle is unsigned',
  'policy.tampered': () =>
    'signature: does not match the content; the bundle was changed after it was signed',
  'policy.wrongKey': (p: P) => `key_id: signed by key ${s(p.key)}, but this edge trusts only ${s(p.pinned)}`,
  'policy.noKey': () =>
    'trust.coordinatorKey: no coordinator key is pinned; this edge applies no policy it cannot verify',
  'policy.replay': (p: P) =>
    `version: ${s(p.version)} is older than ${s(p.trusted)}, the newest this edge has trusted; ` +
    'refused as a replay (a rollback is published as a new, higher version)',
  'policy.expired': (p: P) =>
    `expires_ms: expired at ${s(p.at)} (${s(p.age)}); refused, an expired policy may be one an attacker held ` +
    'back (TUF freeze); this edge keeps the policy it runs',
  'policy.outside': (p: P) => `${s(p.field)}: ${s(p.value)} is outside ${s(p.range)}`,
  'policy.notNewer': (p: P) => `${s(p.field)}: ${s(p.version)} is not newer than the applied ${s(p.applied)}`,
  'policy.positive': (p: P) => `${s(p.field)}: ${s(p.value)} must be a positive integer`,
  'policy.noSteps': (p: P) => `${s(p.field)}: needs at least one step`,
  'policy.badAt': (p: P) => `${s(p.field)}: ${s(p.value)} must be "sunset", "sunrise" or "HH:MM"`,
  /** Any other policy problem, in the words of the check that found it. */
  'policy.problem': (p: P) => s(p.detail),
} as const satisfies Record<string, (p: P) => string>;

export type ReasonCode = keyof typeof ENGLISH;

/** Every code, for catalogue-wide tests. */
export const REASON_CODES = Object.keys(ENGLISH) as ReasonCode[];

/**
 * A plan step without the "plan: " the reason puts before it: what SignalState.plan shows.
 * "stage 1/2 green (veh-ew, walk-ew)", "stage 2/2 yellow (…), actuated: gap-out".
 */
export function stageText(p: P): string {
  const mode = s(p.mode);
  const why = s(p.why);
  return `stage ${s(p.stage)}/${s(p.of)} ${s(p.interval)} (${s(p.groups)})${mode ? `, ${mode}` : ''}${why ? `: ${why}` : ''}`;
}

/** A plan step's part (signal.startup, signal.held, signal.stage) as SignalState.plan shows it. */
export function planText(code: string, p: P = {}): string {
  return code === 'signal.startup' ? STARTUP : code === 'signal.held' ? HELD : stageText(p);
}
