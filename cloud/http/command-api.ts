// The command REST API that `calle command` drives:
//   POST /api/edges/:id/commands   { type, params?, actor, ttlS? } → the edge's answer:
//                                  200 done (with its result), 409 refused by the edge (its
//                                  reason), 504 no answer (offline or too slow: it may or may not
//                                  have acted), 400 a bad field (nothing was sent)
//
// Same access rule as the policy API: no authentication of its own yet, so the coordinator binds
// HTTP to loopback by default; the dashboard's sessions and roles guard /dashboard/api.
import type { FastifyInstance } from 'fastify';
import { CommandRequestError, type CommandResult, type CommandSender } from '../commands/command-sender.js';

const STATUS: Readonly<Record<CommandResult['outcome'], number>> = {
  done: 200,
  refused: 409,
  'no-answer': 504,
};

export function registerCommandApi(app: FastifyInstance, deps: { sender: CommandSender }): void {
  app.post<{
    Params: { id: string };
    Body: { type: string; params?: Record<string, unknown>; actor: string; ttlS?: number };
  }>(
    '/api/edges/:id/commands',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 63 } } },
        body: {
          type: 'object',
          required: ['type', 'actor'],
          additionalProperties: false,
          properties: {
            type: { type: 'string', maxLength: 64 },
            params: { type: 'object' },
            actor: { type: 'string', minLength: 1, maxLength: 64 },
            ttlS: { type: 'number' },
          },
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      try {
        const result = await deps.sender.send({
          edgeId: request.params.id,
          type: b.type,
          params: b.params ?? {},
          actor: b.actor,
          ...(b.ttlS !== undefined ? { ttlS: b.ttlS } : {}),
        });
        return await reply.code(STATUS[result.outcome]).send(result);
      } catch (err) {
        if (err instanceof CommandRequestError)
          return reply.code(400).send({ error: 'CALLE_ERR_BAD_COMMAND', message: err.message });
        throw err;
      }
    },
  );
}
