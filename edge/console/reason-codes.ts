// Stable codes for the reasons the node gives in English — why a luminaire has its level, why an
// intersection flashes, why a device or a policy was refused — so that the page can show them in
// the user's language (public/i18n.js holds one template per code, Spanish and English). The
// English text stays in the API as it was; the codes travel next to it (`reasonCode`).
//
// The control loops build their reasons as text, composed of clauses ("presence: … → 100 %;
// class M5 … → 60 % of schedule: 00:30 → 50 %"). This reads those clauses back rather than
// changing every loop's interface: the loops stay as they are and the catalogue lives in one
// place. The hazard is drift — a loop that rewords a reason — so a test runs the real site and
// requires every reason it produces to be recognised (reason-codes.test.ts), and anything not
// recognised is still shown, in English, as a `text` part rather than dropped.

/** One clause of a reason: a code with its values, or English text not in the catalogue. */
export interface ReasonPart {
  readonly code: string;
  readonly params?: Readonly<Record<string, string | number>>;
}

export const REASON_PARTS_SCHEMA = {
  type: 'array',
  description: 'the reason as stable codes with parameters (the page translates them)',
  items: {
    type: 'object',
    required: ['code'],
    properties: {
      code: { type: 'string' },
      params: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
    },
  },
} as const;

type Params = Record<string, string | number>;
const part = (code: string, params?: Params): ReasonPart => (params ? { code, params } : { code });
const text = (t: string): ReasonPart => ({ code: 'text', params: { text: t } });
const num = (s: string): number => Number(s);

/** Whole-string reasons: refusals of console actions, device errors, trust and policy problems. */
const WHOLE: readonly [RegExp, string, ((m: RegExpMatchArray) => Params)?][] = [
  [/^not decided yet$/, 'light.undecided'],
  [/^fail-on: clock not set \(before 2020\)$/, 'light.failOn.clock'],
  [/^fail-on: no sunrise\/sunset for this place and day$/, 'light.failOn.sun'],
  [/^fail-on: schedule unknown \((.*)\)$/s, 'light.failOn.schedule', (m) => ({ detail: m[1]! })],
  [
    /^day: sunrise (\d\d:\d\d), sunset (\d\d:\d\d) \(Madrid\) → off$/,
    'light.day',
    (m) => ({ sunrise: m[1]!, sunset: m[2]! }),
  ],
  [
    /^(schedule|default): night, before the first step → 100 %$/,
    'light.beforeFirst',
    (m) => ({ rule: m[1]! }),
  ],
  [
    /^(schedule|default): (sunset|sunrise)([+-]\d+) → ([\d.]+) %$/,
    'light.step',
    (m) => ({ rule: m[1]!, at: m[2]!, offset: m[3]!, level: num(m[4]!) }),
  ],
  [
    /^(schedule|default): (\d\d:\d\d) → ([\d.]+) %$/,
    'light.step',
    (m) => ({ rule: m[1]!, at: m[2]!, offset: '', level: num(m[3]!) }),
  ],
  [
    /^override by (.+) until (\d\d:\d\d) → ([\d.]+) %$/,
    'light.override',
    (m) => ({ actor: m[1]!, until: m[2]!, level: num(m[3]!) }),
  ],
  [/^manual flash: by (.+)$/, 'signal.manualFlash', (m) => ({ actor: m[1]! })],
  [/^head (.+) unavailable$/, 'signal.headUnavailable', (m) => ({ heads: m[1]! })],
  [/^a state was proposed during a manual flash$/, 'signal.proposedInFlash'],
  [/^no reading yet$/, 'device.noReading'],
  [/^driver (\S+) failed to start: (.*)$/s, 'device.driverStart', (m) => ({ driver: m[1]!, detail: m[2]! })],
  [
    /^write (\w+)=(.*) failed: (.*)$/s,
    'device.writeFailed',
    (m) => ({ point: m[1]!, value: m[2]!, detail: m[3]! }),
  ],
  [/^not latched$/, 'action.notLatched'],
  [/^a latched flash can only be cleared locally, at the cabinet$/, 'action.localOnly'],
  [/^unknown intersection "(.*)"$/, 'action.unknownIntersection', (m) => ({ id: m[1]! })],
  [/^unknown lighting group "(.*)"$/, 'action.unknownGroup', (m) => ({ id: m[1]! })],
  [/^no override on "(.*)"$/, 'action.noOverride', (m) => ({ id: m[1]! })],
  [/^clock not set: an override lease cannot be timed$/, 'action.noClock'],
  [/^already in manual flash$/, 'action.alreadyFlashing'],
  [/^already entering flash$/, 'action.alreadyEntering'],
  [/^still entering flash: restore once the heads flash$/, 'action.stillEntering'],
  [/^not in manual flash$/, 'action.notFlashing'],
  [/^latched \((.*)\): clear the fault first$/s, 'action.latchedFirst', (m) => ({ fault: m[1]! })],
  [/^latched \((.*)\): clear the fault locally instead$/s, 'action.latchedLocal', (m) => ({ fault: m[1]! })],
  [/^signature: the bundle is unsigned$/, 'policy.unsigned'],
  [/^signature: does not match the content; the bundle was changed after it was signed$/, 'policy.tampered'],
  [
    /^key_id: signed by key (.*), but this edge trusts only (.*)$/,
    'policy.wrongKey',
    (m) => ({ key: m[1]!, pinned: m[2]! }),
  ],
  [/^trust\.coordinatorKey: no coordinator key is pinned;/, 'policy.noKey'],
  [
    /^version: (\d+) is older than (\d+), the newest this edge has trusted;/,
    'policy.replay',
    (m) => ({ version: num(m[1]!), trusted: num(m[2]!) }),
  ],
  [/^expires_ms: expired at (\S+) \(/, 'policy.expired', (m) => ({ at: m[1]! })],
];

/** One "field: problem" of a policy refusal (edge/site/policy-check.ts). */
const POLICY_PROBLEMS: readonly [RegExp, string, (m: RegExpMatchArray) => Params][] = [
  [
    /^([\w.[\]]+): (-?[\d.]+)( s)? is outside (.+)$/,
    'policy.outside',
    (m) => ({ field: m[1]!, value: `${m[2]!}${m[3] ?? ''}`, range: m[4]! }),
  ],
  [
    /^([\w.[\]]+): (\d+) is not newer than the applied (\d+)$/,
    'policy.notNewer',
    (m) => ({ field: m[1]!, version: num(m[2]!), applied: num(m[3]!) }),
  ],
  [
    /^([\w.[\]]+): (\d+) is lower than the applied (\d+)$/,
    'policy.notNewer',
    (m) => ({ field: m[1]!, version: num(m[2]!), applied: num(m[3]!) }),
  ],
  [
    /^([\w.[\]]+): (.+) must be a positive integer$/,
    'policy.positive',
    (m) => ({ field: m[1]!, value: m[2]! }),
  ],
  [/^([\w.[\]]+): needs at least one step$/, 'policy.noSteps', (m) => ({ field: m[1]! })],
  [
    /^([\w.[\]]+): (.+) must be "sunset", "sunrise" or "HH:MM"$/,
    'policy.badAt',
    (m) => ({ field: m[1]!, value: m[2]! }),
  ],
];

/** "stage 1/2 green (a, b), actuated: gap-out" and the other plan labels (stage-planner.ts). */
function planLabel(label: string): ReasonPart {
  if (label === 'start-up all-red') return part('signal.startup');
  if (label === 'all red, held for a manual flash') return part('signal.held');
  const m =
    /^stage (\d+)\/(\d+) (green|yellow|clearance|all-red) \((.*?)\)(?:, (actuated|adaptive))?(?:: (.*))?$/.exec(
      label,
    );
  if (!m) return text(`plan: ${label}`);
  return part('signal.stage', {
    stage: num(m[1]!),
    of: num(m[2]!),
    interval: m[3]!,
    groups: m[4]!,
    mode: m[5] ?? '',
    why: m[6] ?? '',
  });
}

/** Lighting clauses that lead into another (presence, photocell, class, constant light) and the ramp suffix. */
function lighting(reason: string): ReasonPart[] | undefined {
  const ramp = /^(.*) \(ramping to ([\d.]+) %\)$/s.exec(reason);
  if (ramp) {
    const inner = parse(ramp[1]!);
    return [...inner, part('light.ramp', { level: num(ramp[2]!) })];
  }
  let m = /^presence: (\S+) \(hold ([\d.]+) s\) → ([\d.]+) %; (.*)$/s.exec(reason);
  if (m)
    return [
      part('light.presence', { detector: m[1]!, hold: num(m[2]!), level: num(m[3]!) }),
      ...parse(m[4]!),
    ];
  m = /^photocell: light \(≥ ([\d.]+) lx\) → off; (.*)$/s.exec(reason);
  if (m) return [part('light.photocell', { lux: num(m[1]!) }), ...parse(m[2]!)];
  m =
    /^class (\S+) for (high|low|moderate) traffic \((\d+) veh\/h of (\d+); design ([MP]\d)(?:, weights (-?[\d.]+) (\d\d:\d\d)–(\d\d:\d\d))?\) → ([\d.]+) % of (.*)$/s.exec(
      reason,
    );
  if (m) {
    const common = { label: m[1]!, band: m[2]!, flow: num(m[3]!), capacity: num(m[4]!), design: m[5]! };
    const cls =
      m[6] === undefined
        ? part('light.class', { ...common, pct: num(m[9]!) })
        : part('light.classPeriod', {
            ...common,
            weights: num(m[6]),
            from: m[7]!,
            to: m[8]!,
            pct: num(m[9]!),
          });
    return [cls, ...parse(m[10]!)];
  }
  m = /^constant light: ([\d.]+) % \(MF ([\d.]+), output ([\d.]+) at (\d+) h\) of (.*)$/s.exec(reason);
  if (m)
    return [
      part('light.clo', { pct: num(m[1]!), mf: num(m[2]!), output: num(m[3]!), hours: num(m[4]!) }),
      ...parse(m[5]!),
    ];
  return undefined;
}

function signals(reason: string): ReasonPart[] | undefined {
  let m = /^plan: (.*) → entering manual flash \(by (.+)\)$/s.exec(reason);
  if (m) return [planLabel(m[1]!), part('signal.enteringFlash', { actor: m[2]! })];
  m = /^plan: (.*)$/s.exec(reason);
  if (m) return [planLabel(m[1]!)];
  m = /^flash: (.*)$/s.exec(reason);
  if (m) return [part('signal.latched'), ...parse(m[1]!)];
  return undefined;
}

function whole(reason: string): ReasonPart | undefined {
  for (const [re, code, params] of WHOLE) {
    const m = re.exec(reason);
    if (m) return part(code, params?.(m));
  }
  return undefined;
}

/** A policy refusal: "field: problem; field: problem" — each problem coded on its own. */
function policyProblems(reason: string): ReasonPart[] | undefined {
  const pieces = reason.split('; ');
  const parts: ReasonPart[] = [];
  for (const piece of pieces) {
    const rule = POLICY_PROBLEMS.find(([re]) => re.test(piece));
    if (!rule) return undefined;
    parts.push(part(rule[1], rule[2](rule[0].exec(piece)!)));
  }
  return parts;
}

function parse(reason: string): ReasonPart[] {
  const w = whole(reason);
  if (w) return [w];
  return lighting(reason) ?? signals(reason) ?? policyProblems(reason) ?? [text(reason)];
}

// Reasons repeat (every luminaire of a group, every head of an intersection, every tick): parse
// each distinct text once. Bounded, because some carry times and counts.
const cache = new Map<string, readonly ReasonPart[]>();
const CACHE_MAX = 2000;

/** The reason as coded parts; unrecognised text comes back as one `text` part. */
export function reasonCodes(reason: string): readonly ReasonPart[] {
  let parts = cache.get(reason);
  if (!parts) {
    parts = Object.freeze(parse(reason));
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(reason, parts);
  }
  return parts;
}

/** True when every clause of the reason is in the catalogue (tests, drift checks). */
export function fullyCoded(reason: string): boolean {
  return reasonCodes(reason).every((p) => p.code !== 'text');
}
