// Why the node did something — a luminaire's level, an intersection's flash, a device's error, a
// refused action — as stable codes with parameters, made where the decision is made. The English
// the API and the logs carry in their `reason` fields (and that scripts read) is rendered from the
// codes (reason-catalogue.ts); the console renders Spanish and English from the same codes
// (public/i18n.js). Nothing reads English back into codes.
//
// A reason is a list of parts read left to right, as a technician reads it: what raised or lowered
// the level, then what it is a share of ("presence …; class … → 60 % of schedule: 00:30 → 50 %").
import { ENGLISH, type ReasonCode } from './reason-catalogue.js';

export type { ReasonCode } from './reason-catalogue.js';

export type ReasonValue = string | number;

/** One clause: a code from the catalogue and the values its text needs. */
export interface ReasonPart {
  readonly code: ReasonCode;
  readonly params?: Readonly<Record<string, ReasonValue>>;
}

export type Reason = readonly ReasonPart[];

/** One part; params are omitted when there are none (as the API has always sent them). */
export function part(code: ReasonCode, params?: Readonly<Record<string, ReasonValue>>): ReasonPart {
  return params ? { code, params } : { code };
}

// Clauses that lead into the next ("… → 60 % of <schedule>", "flash: <why>") or trail the one
// before (a ramp, entering a flash) join with a space; the rest with "; ". public/i18n.js joins
// the same way.
const JOIN_AFTER: ReadonlySet<string> = new Set([
  'light.class',
  'light.classPeriod',
  'light.clo',
  'signal.latched',
]);
const JOIN_BEFORE: ReadonlySet<string> = new Set(['light.ramp', 'signal.enteringFlash']);

/** The reason in English, as the API's `reason` fields and the logs carry it. */
export function englishOf(reason: Reason): string {
  let out = '';
  reason.forEach((p, i) => {
    if (i > 0) out += JOIN_BEFORE.has(p.code) || JOIN_AFTER.has(reason[i - 1]!.code) ? ' ' : '; ';
    out += ENGLISH[p.code](p.params ?? {});
  });
  return out;
}

/** A refusal as the node's actions return it: the English and its codes. */
export interface Refusal {
  readonly reason: string;
  readonly reasonCode: Reason;
}

export function refusal(...parts: ReasonPart[]): Refusal {
  return { reason: englishOf(parts), reasonCode: parts };
}

/** The JSON Schema of a coded reason in the console's API (fastify route schemas). */
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
