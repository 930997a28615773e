// The NGSI-LD temporal API (ETSI GS CIM 009 V1.8 §6.18–6.19, as FIWARE Mintaka serves it) over the
// coordinator's rollups, never raw readings (issue 16):
//   GET /ngsi-ld/v1/temporal/entities/{id}  one entity's history
//   GET /ngsi-ld/v1/temporal/entities       the entities of type/id, over a time window
// Time: timerel=before|after|between with timeAt (and endTimeAt); default the last 24 hours for one
// entity; a query needs timerel. Each instance is one rollup bucket — 15 minutes for windows up
// to two days, else an hour — observed at the bucket's start, valued as the bucket's mean (a
// counter: what it counted in the bucket). Representations: normalized (instances with
// observedAt), options=temporalValues ([value, time] pairs), options=aggregatedValues with
// aggrMethods (totalCount, sum, avg, min, max) and aggrPeriodDuration PT15M, PT1H or P1D
// ([value, start, end] triples, §4.5.19). lastN keeps the newest N instances.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SeriesStore } from '../store/series-types.js';
import { HOUR_MS, QUARTER_MS, type Resolution, type RollupRow } from '../store/series-rollup.js';
import type { Entity } from './entity-builder.js';
import { fail, integer, list, NgsiError, send, shortType } from './ngsi-api.js';
import { parseEntityId, TEMPORAL_ATTRIBUTES, type TemporalAttribute } from './temporal-series.js';

const DAY_MS = 86_400_000;
const PERIODS: Readonly<Record<string, { resolution: Resolution; ms: number }>> = {
  PT15M: { resolution: '15m', ms: QUARTER_MS },
  PT1H: { resolution: '1h', ms: HOUR_MS },
  P1D: { resolution: '1h', ms: DAY_MS },
};
const METHODS = ['totalCount', 'sum', 'avg', 'min', 'max'] as const;
type Method = (typeof METHODS)[number];
const MAX_ENTITIES = 100;

interface TemporalParams {
  readonly type?: string;
  readonly id?: string;
  readonly attrs?: string;
  readonly timerel?: string;
  readonly timeAt?: string;
  readonly endTimeAt?: string;
  readonly lastN?: string;
  readonly options?: string;
  readonly aggrMethods?: string;
  readonly aggrPeriodDuration?: string;
  readonly limit?: string;
}

interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

function time(v: string | undefined, name: string): number {
  const ms = v === undefined ? NaN : Date.parse(v);
  if (!Number.isFinite(ms))
    throw new NgsiError('BadRequestData', `${name}: must be a DateTime, got ${JSON.stringify(v ?? '')}`);
  return ms;
}

function windowOf(p: TemporalParams, nowMs: number, required: boolean): Window {
  if (p.timerel === undefined) {
    if (required)
      throw new NgsiError('BadRequestData', 'timerel: required (before, after or between, with timeAt)');
    return { fromMs: nowMs - DAY_MS, toMs: nowMs };
  }
  const at = time(p.timeAt, 'timeAt');
  if (p.timerel === 'before') return { fromMs: 0, toMs: at };
  if (p.timerel === 'after') return { fromMs: at, toMs: nowMs + 1 };
  if (p.timerel === 'between') {
    const end = time(p.endTimeAt, 'endTimeAt');
    if (end <= at) throw new NgsiError('BadRequestData', 'endTimeAt: must be after timeAt');
    return { fromMs: at, toMs: end };
  }
  throw new NgsiError(
    'BadRequestData',
    `timerel: must be before, after or between, got ${JSON.stringify(p.timerel)}`,
  );
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One entity's temporal attributes from its series' rollup rows (ordered by bucket). */
function temporalEntity(
  id: string,
  type: string,
  attrs: Readonly<Record<string, TemporalAttribute>>,
  rows: readonly RollupRow[],
  p: TemporalParams,
  aggregate: { methods: readonly Method[]; periodMs: number } | undefined,
  lastN: number | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id, type };
  const simplified = (list(p.options) ?? []).includes('temporalValues');
  for (const [name, attr] of Object.entries(attrs)) {
    const series = rows.filter((r) => r.metric === attr.metric);
    let instances = series.map((r, i) => ({ r, value: attr.value(r, series[i - 1]) }));
    if (lastN !== undefined) instances = instances.slice(-lastN);
    if (instances.length === 0) continue;
    if (aggregate) {
      out[name] = { type: 'Property', ...aggregated(attr, instances, aggregate.methods, aggregate.periodMs) };
    } else if (simplified) {
      out[name] = { type: 'Property', values: instances.map(({ r, value }) => [value, iso(r.bucketMs)]) };
    } else {
      out[name] = instances.map(({ r, value }) => ({ type: 'Property', value, observedAt: iso(r.bucketMs) }));
    }
  }
  return out;
}

function aggregated(
  attr: TemporalAttribute,
  instances: readonly { r: RollupRow; value: number }[],
  methods: readonly Method[],
  periodMs: number,
): Record<string, unknown[][]> {
  // A counter's buckets are already counts; a gauge's are figures to scale.
  const counter = attr.metric === 'count.veh';
  const periods = new Map<number, { n: number; sum: number; min: number; max: number }>();
  for (const { r, value } of instances) {
    const start = Math.floor(r.bucketMs / periodMs) * periodMs;
    const one = counter
      ? { n: 1, sum: value, min: value, max: value }
      : { n: r.n, sum: r.sum / attr.scale, min: r.min / attr.scale, max: r.max / attr.scale };
    const p = periods.get(start);
    if (!p) periods.set(start, one);
    else
      periods.set(start, {
        n: p.n + one.n,
        sum: p.sum + one.sum,
        min: Math.min(p.min, one.min),
        max: Math.max(p.max, one.max),
      });
  }
  const round = (x: number): number => Number(x.toFixed(3));
  const out: Record<string, unknown[][]> = {};
  for (const m of methods)
    out[m] = [...periods].map(([start, p]) => [
      round(
        m === 'totalCount'
          ? p.n
          : m === 'sum'
            ? p.sum
            : m === 'avg'
              ? p.sum / p.n
              : m === 'min'
                ? p.min
                : p.max,
      ),
      iso(start),
      iso(start + periodMs),
    ]);
  return out;
}

export interface TemporalApiOptions {
  readonly series: SeriesStore;
  /** The live entities (for the ids a query matches). */
  readonly entities: () => Promise<readonly Entity[]>;
  readonly now?: () => number;
}

export function registerTemporalApi(app: FastifyInstance, o: TemporalApiOptions): void {
  const now = o.now ?? Date.now;

  const read = async (
    request: FastifyRequest<{ Querystring: TemporalParams }>,
    targets: readonly { id: string; type: string; edgeId: string; deviceId: string }[],
    window: Window,
  ): Promise<Record<string, unknown>[]> => {
    const p = request.query;
    const aggregate = (list(p.options) ?? []).includes('aggregatedValues');
    const period = p.aggrPeriodDuration === undefined ? undefined : PERIODS[p.aggrPeriodDuration];
    if (p.aggrPeriodDuration !== undefined && !period)
      throw new NgsiError('BadRequestData', `aggrPeriodDuration: one of ${Object.keys(PERIODS).join(', ')}`);
    const methods = list(p.aggrMethods) ?? [];
    for (const m of methods)
      if (!(METHODS as readonly string[]).includes(m))
        throw new NgsiError(
          'BadRequestData',
          `aggrMethods: ${JSON.stringify(m)} is not one of ${METHODS.join(', ')}`,
        );
    if (aggregate && methods.length === 0)
      throw new NgsiError('BadRequestData', 'aggrMethods: required with aggregatedValues');
    const lastN = p.lastN === undefined ? undefined : integer(p.lastN, 'lastN', 0, 100_000);
    const resolution = period?.resolution ?? (window.toMs - window.fromMs <= 2 * DAY_MS ? '15m' : '1h');
    const wanted = list(p.attrs);
    const out: Record<string, unknown>[] = [];
    for (const t of targets) {
      const all = TEMPORAL_ATTRIBUTES[t.type] ?? {};
      const attrs = Object.fromEntries(
        Object.entries(all).filter(([name]) => !wanted || wanted.includes(name)),
      );
      const rows = await o.series.rollups({
        resolution,
        fromMs: window.fromMs,
        toMs: window.toMs,
        edgeId: t.edgeId,
        deviceId: t.deviceId,
        metrics: [...new Set(Object.values(attrs).map((a) => a.metric))],
      });
      out.push(
        temporalEntity(
          t.id,
          t.type,
          attrs,
          rows,
          p,
          aggregate
            ? {
                methods: methods as Method[],
                periodMs: period?.ms ?? (resolution === '15m' ? QUARTER_MS : HOUR_MS),
              }
            : undefined,
          lastN,
        ),
      );
    }
    return out;
  };

  const answer = async (reply: FastifyReply, produce: () => Promise<FastifyReply>): Promise<FastifyReply> => {
    try {
      return await produce();
    } catch (err) {
      return fail(reply, err);
    }
  };

  app.get<{ Params: { id: string }; Querystring: TemporalParams }>(
    '/ngsi-ld/v1/temporal/entities/:id',
    async (request, reply) =>
      answer(reply, async () => {
        const parsed = parseEntityId(request.params.id);
        if (!parsed || !TEMPORAL_ATTRIBUTES[parsed.type])
          throw new NgsiError('ResourceNotFound', `entity ${request.params.id}: no temporal data`);
        const window = windowOf(request.query, now(), false);
        const [entity] = await read(request, [{ id: request.params.id, ...parsed }], window);
        return send(request, reply, entity!);
      }),
  );

  app.get<{ Querystring: TemporalParams }>('/ngsi-ld/v1/temporal/entities', async (request, reply) =>
    answer(reply, async () => {
      const p = request.query;
      const types = list(p.type)?.map(shortType);
      const ids = list(p.id);
      if (!types && !ids) throw new NgsiError('BadRequestData', 'one of type or id is required');
      const window = windowOf(p, now(), true);
      const limit = integer(p.limit, 'limit', 20, MAX_ENTITIES);
      const targets = (await o.entities())
        .filter(
          (e) =>
            (!types || types.includes(e.type)) && (!ids || ids.includes(e.id)) && TEMPORAL_ATTRIBUTES[e.type],
        )
        .flatMap((e) => {
          const parsed = parseEntityId(e.id);
          return parsed ? [{ id: e.id, ...parsed }] : [];
        })
        .slice(0, limit);
      return send(request, reply, await read(request, targets, window));
    }),
  );
}
