// Receives the coordinator's commands for this edge over NATS request/reply
// (`calle.cmd.<edge id>.<type>`), passes each through the guard (command-guard.ts), carries out
// what passes, writes an audit row for every command (carried out, failed or refused), and
// answers with a calle.v1.CommandReply. A command is handled whole before the next: the site's
// actions are synchronous and quick, and one at a time keeps the audit order the order of effect.
// Commands refused before their signature checked out come from nobody we know: those are audited
// through a limiter (refusal-limiter.ts), so a flood of garbage cannot become a flood of fsyncs.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { v1, type calle } from '../../proto/index.js';
import { commandSubjects } from '../../proto/nats-subjects.js';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { Db } from '../../common/sqlite/open-database.js';
import type { PinnedKey } from '../trust/pinned-key.js';
import { CommandIds } from './command-ids.js';
import { checkCommand } from './command-guard.js';
import {
  COMMAND_MAX_ACTOR,
  COMMAND_TYPES,
  type CommandActions,
  type CommandOutcome,
} from '../../common/commands/command-types.js';
import { RefusalLimiter } from './refusal-limiter.js';

export interface CommandReceiverOptions {
  readonly edgeId: string;
  /** The pinned coordinator key(s) (edge/trust/pinned-key.ts): commands are signed with one. */
  readonly pinnedKeys: readonly PinnedKey[];
  /** Command types this edge accepts (configuration `commands.allow`). */
  readonly allowed: readonly string[];
  readonly db: Db;
  readonly actions: CommandActions;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly now?: () => number;
}

export class CommandReceiver {
  readonly #o: CommandReceiverOptions;
  readonly #ids: CommandIds;
  readonly #allowed: ReadonlySet<string>;
  readonly #now: () => number;
  readonly #unsigned: RefusalLimiter;
  #sub: Subscription | undefined;
  #closed = false;

  constructor(options: CommandReceiverOptions) {
    const unknown = options.allowed.filter((t) => !COMMAND_TYPES[t]);
    if (unknown.length > 0)
      throw new Error(
        `commands.allow: ${unknown.map((t) => JSON.stringify(t)).join(', ')} not a command type (known: ${Object.keys(COMMAND_TYPES).join(', ')})`,
      );
    this.#o = options;
    this.#ids = new CommandIds(options.db);
    this.#allowed = new Set(options.allowed);
    this.#now = options.now ?? Date.now;
    this.#unsigned = new RefusalLimiter({
      write: (entry) => void options.audit.record(entry),
      target: `edge:${options.edgeId}`,
      now: this.#now,
    });
  }

  /** Subscribes on `nc` (the client re-subscribes after reconnects) and serves until close(). */
  listen(nc: NatsConnection): void {
    if (this.#closed || this.#sub) return;
    this.#sub = nc.subscribe(commandSubjects(this.#o.edgeId), {
      callback: (err, msg) => {
        if (err) {
          this.#o.log.error({ err }, 'commands: subscription failed');
          return;
        }
        const reply = this.handle(msg.data);
        if (msg.reply) msg.respond(v1.CommandReply.encode(reply).finish());
      },
    });
    this.#o.log.info({ subject: commandSubjects(this.#o.edgeId) }, 'commands: listening');
  }

  /** Checks, carries out and audits one command; returns the reply. Never throws. */
  handle(raw: Uint8Array): calle.v1.CommandReply {
    const nowMs = this.#now();
    const verdict = checkCommand(raw, {
      edgeId: this.#o.edgeId,
      pinnedKeys: this.#o.pinnedKeys,
      allowed: this.#allowed,
      ids: this.#ids,
      nowMs,
    });
    const command = verdict.command;
    // No command means refused before the signature held: the sender is not the coordinator.
    const signed = command !== undefined;
    // Clipped: a command refused for its over-long actor (command-guard.ts) still gets its row.
    const actor = signed
      ? `coordinator:${clip(command.actor || 'unknown', COMMAND_MAX_ACTOR)}`
      : 'unauthenticated';
    let outcome: CommandOutcome;
    if (!verdict.ok) outcome = { done: false, reason: verdict.reason };
    else {
      try {
        outcome = COMMAND_TYPES[verdict.command.type]!.run(verdict.params, {
          actions: this.#o.actions,
          actor,
          edgeId: this.#o.edgeId,
          nowMs,
        });
      } catch (err) {
        this.#o.log.error({ err, commandId: verdict.command.commandId }, 'commands: action failed');
        outcome = { done: false, reason: `the action failed: ${(err as Error).message}` };
      }
    }
    const record = {
      commandId: command?.commandId ?? '',
      type: command?.type ?? '',
      params: verdict.ok ? verdict.params : (command?.paramsJson ?? ''),
      ...(outcome.done ? { result: outcome.result } : { refused: outcome.reason }),
    };
    if (signed || this.#unsigned.admit(nowMs, outcome.done ? '' : outcome.reason)) {
      // The action has happened: a row that cannot be written is reported by the log itself
      // (error log and AUDIT_WRITE_FAILED), never thrown at the reply.
      this.#o.audit.record({
        actor,
        action: verdict.ok ? `command.${verdict.command.type}` : 'command.refused',
        target: `edge:${this.#o.edgeId}`,
        after: record,
        timeMs: nowMs,
      });
      const level = outcome.done ? 'info' : 'warn';
      this.#o.log[level](record, outcome.done ? 'commands: carried out' : 'commands: refused');
    }
    return v1.CommandReply.create({
      commandId: command?.commandId ?? '',
      done: outcome.done,
      reason: outcome.done ? '' : outcome.reason,
      resultJson: outcome.done ? JSON.stringify(outcome.result) : '',
    });
  }

  close(): void {
    this.#closed = true;
    this.#unsigned.flush();
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
