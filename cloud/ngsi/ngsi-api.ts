// The NGSI-LD read API (ETSI GS CIM 009 V1.8 §6.4.3.2 Query Entities, §6.5.3.1 Retrieve Entity)
// over calle's live data, so the city's context broker or any NGSI-LD client reads calle without
// glue code. Read-only: calle's devices are commanded by policies, not by entity updates.
//
// Representation: normalized by default, key-values with options=keyValues (or format=simplified).
// Content: application/ld+json when the client accepts it (the @context is in the body), else
// application/json with the context in a Link header (§6.3.5). Types may be given as short names
// or as full IRIs; the request's Link context is accepted but not dereferenced (the coordinator is
// offline-capable): a type IRI is matched by its last segment. Errors are ProblemDetails (§5.5.2).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CALLE_CONTEXT_PATH,
  answerContext,
  calleContextDocument,
  contextLinkHeader,
} from './ngsi-context.js';
import { NgsiQueryError, parseQuery } from './ngsi-query.js';
import type { Entity } from './entity-builder.js';

/** Default and largest page size (§6.4.3.2: implementation-defined; 20 is the common default). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;

const ERRORS = {
  BadRequestData: { status: 400, title: 'Bad request data' },
  InvalidRequest: { status: 400, title: 'Invalid request' },
  ResourceNotFound: { status: 404, title: 'Resource not found' },
  NotAcceptable: { status: 406, title: 'Not acceptable' },
} as const;

export class NgsiError extends Error {
  constructor(
    readonly kind: keyof typeof ERRORS,
    detail: string,
  ) {
    super(detail);
  }
}

export interface NgsiApiOptions {
  /** The entities as they are now, key-values form, sorted by id (entity-builder.ts). */
  readonly entities: () => Promise<readonly Entity[]>;
}

interface QueryParams {
  readonly type?: string;
  readonly id?: string;
  readonly idPattern?: string;
  readonly q?: string;
  readonly attrs?: string;
  readonly limit?: string;
  readonly offset?: string;
  readonly count?: string;
  readonly options?: string;
  readonly format?: string;
}

export const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

/** "https://smartdatamodels.org/dataModel.Streetlighting/Streetlight" → "Streetlight". */
export const shortType = (t: string): string => (/^[a-z][a-z0-9+.-]*:/i.test(t) ? t.split(/[/#]/).pop()! : t);

export function integer(v: string | undefined, name: string, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v))
    throw new NgsiError(
      'BadRequestData',
      `${name}: must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  const n = Number(v);
  if (n > max) throw new NgsiError('BadRequestData', `${name}: at most ${max}, got ${n}`);
  return n;
}

function keyValues(p: QueryParams): boolean {
  const opts = list(p.options) ?? [];
  return opts.includes('keyValues') || p.format === 'keyValues' || p.format === 'simplified';
}

const DATE_ATTRS = /^(date[A-Z].*|predictedFullTime|observedAt)$/;

/** key-values → normalized (§4.5.1): Property, Relationship (ref*), GeoProperty (location). */
export function normalize(e: Entity): Record<string, unknown> {
  const out: Record<string, unknown> = { id: e.id, type: e.type };
  for (const [k, v] of Object.entries(e)) {
    if (k === 'id' || k === 'type' || k === '@context') continue;
    if (k === 'location') out[k] = { type: 'GeoProperty', value: v };
    else if (/^ref[A-Z]/.test(k)) out[k] = { type: 'Relationship', object: v };
    else if (DATE_ATTRS.test(k) && typeof v === 'string' && !v.includes('/'))
      out[k] = { type: 'Property', value: { '@type': 'DateTime', '@value': v } };
    else out[k] = { type: 'Property', value: v };
  }
  return out;
}

function project(e: Entity, attrs: readonly string[] | undefined): Entity {
  if (!attrs) return e;
  const out: Record<string, unknown> = { id: e.id, type: e.type };
  for (const a of attrs) if (a in e) out[a] = e[a];
  return out as Entity;
}

/** Which media type to answer in; throws NotAcceptable for neither JSON flavour. */
function negotiate(accept: string | undefined): 'application/ld+json' | 'application/json' {
  if (!accept) return 'application/json';
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  if (types.includes('application/ld+json')) return 'application/ld+json';
  if (types.some((t) => t === 'application/json' || t === 'application/*' || t === '*/*'))
    return 'application/json';
  throw new NgsiError(
    'NotAcceptable',
    `accept: only application/json and application/ld+json are served, not ${accept}`,
  );
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function send(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown> | Record<string, unknown>[],
): FastifyReply {
  const media = negotiate(request.headers.accept);
  const context = answerContext(baseUrl(request));
  void reply.header('cache-control', 'no-store');
  if (media === 'application/ld+json') {
    const withContext = (e: Record<string, unknown>): Record<string, unknown> => ({
      ...e,
      '@context': context,
    });
    return reply
      .type('application/ld+json')
      .send(JSON.stringify(Array.isArray(body) ? body.map(withContext) : withContext(body)));
  }
  const links = [
    contextLinkHeader(context[0]!),
    ...((reply.getHeader('link') as string[] | undefined) ?? []),
  ];
  return reply.header('link', links.join(', ')).type('application/json').send(JSON.stringify(body));
}

/** Answers an NGSI error as ProblemDetails (§5.5.2); anything else is rethrown (a 500). */
export function fail(reply: FastifyReply, err: unknown): FastifyReply {
  const e =
    err instanceof NgsiError
      ? err
      : err instanceof NgsiQueryError
        ? new NgsiError('BadRequestData', err.message)
        : undefined;
  if (!e) throw err;
  const def = ERRORS[e.kind];
  return reply
    .code(def.status)
    .type('application/json')
    .send({ type: `https://uri.etsi.org/ngsi-ld/errors/${e.kind}`, title: def.title, detail: e.message });
}

export function registerNgsiApi(app: FastifyInstance, options: NgsiApiOptions): void {
  app.get(CALLE_CONTEXT_PATH, async (_request, reply) =>
    reply
      .type('application/ld+json')
      .header('cache-control', 'max-age=3600')
      .send(JSON.stringify(calleContextDocument())),
  );

  // answer() maps thrown NGSI errors to ProblemDetails.
  const answer = async (reply: FastifyReply, produce: () => Promise<FastifyReply>): Promise<FastifyReply> => {
    try {
      return await produce();
    } catch (err) {
      return fail(reply, err);
    }
  };

  app.get<{ Querystring: QueryParams }>('/ngsi-ld/v1/entities', async (request, reply) =>
    answer(reply, async () => {
      const p = request.query;
      negotiate(request.headers.accept);
      const types = list(p.type)?.map(shortType);
      const ids = list(p.id);
      const attrs = list(p.attrs);
      // §6.4.3.2: a query must be narrowed by type, id, idPattern, attrs or q.
      if (!types && !ids && p.idPattern === undefined && !attrs && p.q === undefined)
        throw new NgsiError('BadRequestData', 'one of type, id, idPattern, attrs or q is required');
      let idPattern: RegExp | undefined;
      try {
        idPattern = p.idPattern !== undefined ? new RegExp(p.idPattern) : undefined;
      } catch {
        throw new NgsiError('BadRequestData', `idPattern: not a valid regular expression`);
      }
      const predicate = p.q !== undefined ? parseQuery(p.q) : undefined;
      const limit = integer(p.limit, 'limit', DEFAULT_LIMIT, MAX_LIMIT);
      const offset = integer(p.offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
      const count = p.count === 'true';
      if (limit === 0 && !count)
        throw new NgsiError('BadRequestData', 'limit: 0 is only allowed with count=true');

      const matched = (await options.entities()).filter(
        (e) =>
          (!types || types.includes(e.type)) &&
          (!ids || ids.includes(e.id)) &&
          (!idPattern || idPattern.test(e.id)) &&
          (!attrs || attrs.some((a) => a in e)) &&
          (!predicate || predicate(e)),
      );
      const page = matched.slice(offset, offset + limit).map((e) => project(e, attrs));
      if (count) void reply.header('NGSILD-Results-Count', String(matched.length));
      // Pagination links (§6.3.14): next/prev pages with the same query.
      const pageLink = (rel: string, at: number): string => {
        const qs = new URLSearchParams(
          Object.entries(p).filter(([k]) => k !== 'offset' && k !== 'limit') as [string, string][],
        );
        qs.set('offset', String(at));
        qs.set('limit', String(limit));
        return `</ngsi-ld/v1/entities?${qs.toString()}>; rel="${rel}"`;
      };
      const links: string[] = [];
      if (limit > 0 && offset + limit < matched.length) links.push(pageLink('next', offset + limit));
      if (limit > 0 && offset > 0) links.push(pageLink('prev', Math.max(0, offset - limit)));
      if (links.length > 0) void reply.header('link', links);
      return send(request, reply, keyValues(p) ? page : page.map(normalize));
    }),
  );

  app.get<{ Params: { id: string }; Querystring: QueryParams }>(
    '/ngsi-ld/v1/entities/:id',
    async (request, reply) =>
      answer(reply, async () => {
        const { id } = request.params;
        negotiate(request.headers.accept);
        if (!/^[a-z][a-z0-9+.-]*:/i.test(id))
          throw new NgsiError('BadRequestData', `id: must be a URI, got ${JSON.stringify(id)}`);
        const types = list(request.query.type)?.map(shortType);
        const entity = (await options.entities()).find(
          (e) => e.id === id && (!types || types.includes(e.type)),
        );
        if (!entity) throw new NgsiError('ResourceNotFound', `entity ${id}: not found`);
        const projected = project(entity, list(request.query.attrs));
        return send(request, reply, keyValues(request.query) ? projected : normalize(projected));
      }),
  );
}
