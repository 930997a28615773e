// The policy REST API that `calle policy push | status | rollback` drives:
//   POST /api/policies                  an authored policy (JSON or YAML) → 201 signed version,
//                                       400 with every field problem
//   POST /api/policies/rollback         { "to": N } → 201: N's content as a new, higher version
//   GET  /api/policies                  published versions, newest first, with ack counts
//   GET  /api/policies/:version         one version's content
//   GET  /api/policies/:version/acks    each edge's verdict, and targeted edges still pending
//
// No authentication yet (operators' accounts come with a later issue): the coordinator binds HTTP
// to 127.0.0.1 by default and warns when told to listen anywhere else. Whoever reaches this API
// can publish policies, signed with the coordinator's key, to every street in the city.
// Answers are built field by field from decoded bundles (policyJson below), never from database
// rows, so no response schema is needed to keep internal columns out.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCodes } from '../errors.js';
import {
  checkPolicyDocument,
  documentOf,
  parsePolicyText,
  POLICY_INVALID,
} from '../policies/policy-document.js';
import type { FieldProblem } from '../../common/schema/json-schema.js';
import type { PolicyHistory } from '../policies/policy-history.js';
import type { PolicyPublisher } from '../policies/policy-publisher.js';
import type { calle } from '../../proto/index.js';

export interface PolicyApiOptions {
  readonly publisher: PolicyPublisher;
  readonly history: PolicyHistory;
}

/** A published version as the API shows it. */
export interface PolicyJson {
  readonly version: number;
  readonly issuedAt: string;
  readonly keyId: string;
  readonly signatureAlg: string;
  readonly policy: Record<string, unknown>;
}

export interface PolicyAcksJson {
  readonly version: number;
  readonly acks: readonly { edgeId: string; applied: boolean; reason: string; at: string }[];
  readonly pending: readonly string[];
}

export interface ProblemJson {
  readonly error: string;
  readonly message: string;
  readonly problems?: readonly FieldProblem[];
}

/** A body that did not parse; the route answers 400 with these problems. */
class Unparsed {
  constructor(readonly problems: FieldProblem[]) {}
}

const policyJson = (bundle: calle.v1.PolicyBundle): PolicyJson => ({
  version: Number(bundle.version),
  issuedAt: new Date(Number(bundle.issuedMs)).toISOString(),
  keyId: bundle.keyId,
  signatureAlg: bundle.signatureAlg,
  policy: documentOf(bundle),
});

const invalid = (reply: FastifyReply, problems: readonly FieldProblem[]): ProblemJson => {
  void reply.code(400);
  return {
    error: POLICY_INVALID,
    message: `the policy has ${problems.length} problem(s): ${problems
      .map((p) => `${p.field || '(policy)'}: ${p.reason}`)
      .join('; ')}`,
    problems,
  };
};

const notFound = (reply: FastifyReply, version: number): ProblemJson => {
  void reply.code(404);
  return { error: ErrorCodes.POLICY_NOT_FOUND, message: `version ${version} was never published` };
};

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Registers the routes as an encapsulated plugin (its body parsers do not leak to other routes). */
export function registerPolicyApi(app: FastifyInstance, { publisher, history }: PolicyApiOptions): void {
  void app.register((scope, _opts, done) => {
    // JSON and YAML bodies go through the same YAML 1.2 reader as `calle policy push`, so both
    // report syntax errors with line and column, and a repeated key is an error, not "last wins".
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml'],
      { parseAs: 'string', bodyLimit: 256 * 1024 },
      (_req, body, parsed) => {
        const result = parsePolicyText(body as string);
        parsed(null, result.ok ? result.value : new Unparsed(result.problems));
      },
    );

    scope.post<{ Body: unknown }>('/api/policies', async (req, reply) => {
      if (req.body instanceof Unparsed) return invalid(reply, req.body.problems);
      const checked = checkPolicyDocument(req.body);
      if (!checked.ok) return invalid(reply, checked.problems);
      const bundle = await publisher.publish(checked.draft);
      void reply.code(201);
      return policyJson(bundle);
    });

    scope.post<{ Body: unknown }>('/api/policies/rollback', async (req, reply) => {
      if (req.body instanceof Unparsed) return invalid(reply, req.body.problems);
      const to = (req.body as { to?: unknown } | null)?.to;
      if (typeof to !== 'number' || !Number.isSafeInteger(to) || to < 1)
        return invalid(reply, [{ field: 'to', reason: 'must be a published version number' }]);
      if (!(await history.get(to))) return notFound(reply, to);
      const bundle = await publisher.rollback(to);
      void reply.code(201);
      return { ...policyJson(bundle), rollbackOf: to };
    });

    scope.get('/api/policies', async () =>
      (await history.list()).map((p) => ({
        ...policyJson(p.bundle),
        applied: p.applied,
        refused: p.refused,
      })),
    );

    scope.get<{ Params: { version: string } }>('/api/policies/:version', async (req, reply) => {
      const version = Number(req.params.version);
      const bundle = await history.get(version);
      return bundle ? policyJson(bundle) : notFound(reply, version);
    });

    scope.get<{ Params: { version: string } }>('/api/policies/:version/acks', async (req, reply) => {
      const version = Number(req.params.version);
      const standing = Number.isSafeInteger(version) ? await history.standing(version) : undefined;
      if (!standing) return notFound(reply, version);
      const body: PolicyAcksJson = {
        version,
        acks: standing.acks.map((a) => ({
          edgeId: a.edgeId,
          applied: a.applied,
          reason: a.reason,
          at: new Date(a.timeMs).toISOString(),
        })),
        pending: standing.pending,
      };
      return body;
    });

    done();
  });
}
