// Sends a command to one edge: builds the calle.v1.EdgeCommand (a fresh id, issued now, expiring
// after its time to live), signs it with the coordinator's key, asks over NATS request/reply on
// the edge's command subject and decodes the edge's calle.v1.CommandReply. Every attempt becomes
// a record for the coordinator's audit trail, whether the edge carried it out, refused it, or
// never answered (then nobody knows whether it acted: the record says "no answer", not "failed").
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import { commandSubject, EDGE_ID_PATTERN } from '../../proto/nats-subjects.js';
import {
  COMMAND_MAX_ACTOR,
  COMMAND_MAX_LIFETIME_MS,
  COMMAND_TYPES,
} from '../../common/commands/command-types.js';
import type { PolicySigner } from '../keys/policy-signer.js';

export interface CommandRequest {
  readonly edgeId: string;
  readonly type: string;
  readonly params: Record<string, unknown>;
  /** The operator who asks; it travels in the command and lands in the edge's audit row. */
  readonly actor: string;
  /** Seconds the command stays valid; default 60, at most COMMAND_MAX_LIFETIME_MS. */
  readonly ttlS?: number;
}

/** What came of one attempt; every one is an audit row at the coordinator (command-audit.ts). */
export const COMMAND_OUTCOMES = ['done', 'refused', 'no-answer'] as const;
export type CommandOutcome = (typeof COMMAND_OUTCOMES)[number];

export interface CommandResult {
  readonly commandId: string;
  readonly edgeId: string;
  readonly type: string;
  readonly outcome: CommandOutcome;
  /** The edge's reason when refused, or why no answer came. */
  readonly reason: string;
  readonly result?: Record<string, unknown>;
}

/** A request refused before anything was sent (bad field): the message names the field. */
export class CommandRequestError extends Error {
  override readonly name = 'CommandRequestError';
}

export interface CommandSenderOptions {
  /** The coordinator's NATS connection when it has one. */
  readonly connection: () => NatsConnection | undefined;
  readonly signer: PolicySigner;
  readonly log: Logger;
  /** Every attempt, for the audit trail. */
  readonly record?: (request: CommandRequest, result: CommandResult) => void;
  readonly now?: () => number;
  /** How long to wait for the edge's answer; default 5 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_TTL_S = 60;

export class CommandSender {
  readonly #o: CommandSenderOptions;

  constructor(options: CommandSenderOptions) {
    this.#o = options;
  }

  /** Checks the request, then sends it. Throws CommandRequestError for a bad field. */
  async send(req: CommandRequest): Promise<CommandResult> {
    if (!EDGE_ID_PATTERN.test(req.edgeId))
      throw new CommandRequestError(`edgeId: ${JSON.stringify(req.edgeId)} is not a valid edge id`);
    if (!COMMAND_TYPES[req.type])
      throw new CommandRequestError(
        `type: ${JSON.stringify(req.type)} is not a command type (known: ${Object.keys(COMMAND_TYPES).join(', ')})`,
      );
    const ttlS = req.ttlS ?? DEFAULT_TTL_S;
    if (!(ttlS > 0 && ttlS * 1000 <= COMMAND_MAX_LIFETIME_MS))
      throw new CommandRequestError(`ttlS: must be in (0, ${COMMAND_MAX_LIFETIME_MS / 1000}] seconds`);
    if (!req.actor || req.actor.length > COMMAND_MAX_ACTOR)
      throw new CommandRequestError(`actor: must be 1 to ${COMMAND_MAX_ACTOR} characters`);
    const signer = this.#o.signer;
    if (!signer.signCommand)
      throw new CommandRequestError('signer: this coordinator has no key to sign commands with');
    const nowMs = (this.#o.now ?? Date.now)();
    const command = v1.EdgeCommand.create({
      commandId: randomUUID(),
      edgeId: req.edgeId,
      type: req.type,
      paramsJson: JSON.stringify(req.params),
      actor: req.actor,
      issuedMs: nowMs,
      expiresMs: nowMs + Math.round(ttlS * 1000),
    });
    const base = { commandId: command.commandId, edgeId: req.edgeId, type: req.type };
    const result = await this.#ask(command, signer.signCommand(command), base);
    this.#o.log[result.outcome === 'done' ? 'info' : 'warn'](
      { ...result, actor: req.actor },
      `command ${result.outcome}`,
    );
    this.#o.record?.(req, result);
    return result;
  }

  async #ask(
    command: calle.v1.EdgeCommand,
    signed: calle.v1.SignedCommand,
    base: Pick<CommandResult, 'commandId' | 'edgeId' | 'type'>,
  ): Promise<CommandResult> {
    const nc = this.#o.connection();
    if (!nc) return { ...base, outcome: 'no-answer', reason: 'the coordinator is not connected to NATS' };
    let data: Uint8Array;
    try {
      const msg = await nc.request(
        commandSubject(command.edgeId, command.type),
        v1.SignedCommand.encode(signed).finish(),
        {
          timeout: this.#o.timeoutMs ?? 5_000,
        },
      );
      data = msg.data;
    } catch (err) {
      // No responder (the edge is offline) or a timeout: the edge may or may not have acted.
      return { ...base, outcome: 'no-answer', reason: (err as Error).message };
    }
    let reply: calle.v1.CommandReply;
    try {
      reply = v1.CommandReply.decode(data);
    } catch (err) {
      return {
        ...base,
        outcome: 'no-answer',
        reason: `the reply does not decode: ${(err as Error).message}`,
      };
    }
    if (reply.commandId !== command.commandId)
      return {
        ...base,
        outcome: 'no-answer',
        reason: `the reply is for another command (${reply.commandId})`,
      };
    if (!reply.done) return { ...base, outcome: 'refused', reason: reply.reason };
    let result: Record<string, unknown> = {};
    try {
      result = reply.resultJson ? (JSON.parse(reply.resultJson) as Record<string, unknown>) : {};
    } catch {
      // The edge acted; an unreadable result does not undo that.
    }
    return { ...base, outcome: 'done', reason: '', result };
  }
}
