// Everything a remote command must pass before the edge carries it out, cheapest first. What is
// refused does nothing; the reason names the field. The order matters for safety: the signature
// is checked on the raw bytes before the command is even decoded, and the replay claim comes
// last, so a command refused for another reason does not burn its id.
//   1. a well-formed calle.v1.SignedCommand;
//   2. signed by the pinned coordinator key (common/signing/command-signature.ts);
//   3. a well-formed calle.v1.EdgeCommand with an id;
//   4. for this edge, from an actor name short enough to audit (COMMAND_MAX_ACTOR);
//   5. a type this edge knows and its configuration allows;
//   6. in its time window: the clock is set, issued no later than CLOCK_SKEW_MS from now, not
//      expired, and valid for no longer than COMMAND_MAX_LIFETIME_MS;
//   7. parameters valid for the type;
//   8. never carried out before (edge/commands/command-ids.ts).
import { v1, type calle } from '../../proto/index.js';
import { CLOCK_SANE_AFTER_MS } from '../control/lighting-loop.js';
import { verifyCommandSignature } from '../../common/signing/command-signature.js';
import { pickPinnedKey, type PinnedKey } from '../trust/pinned-key.js';
import type { CommandIds } from './command-ids.js';
import {
  COMMAND_MAX_ACTOR,
  COMMAND_MAX_LIFETIME_MS,
  COMMAND_TYPES,
} from '../../common/commands/command-types.js';

/** How far ahead of this edge's clock a command may claim to have been issued (NTP drift). */
export const CLOCK_SKEW_MS = 60_000;

export interface GuardContext {
  readonly edgeId: string;
  /** The pinned coordinator key, and the next one during a key rotation. */
  readonly pinnedKeys: readonly PinnedKey[];
  readonly allowed: ReadonlySet<string>;
  readonly ids: CommandIds;
  readonly nowMs: number;
}

export type GuardVerdict =
  | {
      readonly ok: true;
      readonly command: calle.v1.EdgeCommand;
      readonly params: Record<string, unknown>;
    }
  | { readonly ok: false; readonly reason: string; readonly command?: calle.v1.EdgeCommand };

export function checkCommand(raw: Uint8Array, ctx: GuardContext): GuardVerdict {
  let signed: calle.v1.SignedCommand;
  try {
    signed = v1.SignedCommand.decode(raw);
  } catch (err) {
    return { ok: false, reason: `message: not a calle.v1.SignedCommand (${(err as Error).message})` };
  }
  const key = pickPinnedKey(ctx.pinnedKeys, signed.keyId);
  if (!('key' in key)) return { ok: false, reason: key.reason };
  const signature = verifyCommandSignature(signed, key.key, key.keyId);
  if (!signature.ok) return signature;
  let command: calle.v1.EdgeCommand;
  try {
    command = v1.EdgeCommand.decode(signed.command);
  } catch (err) {
    return { ok: false, reason: `command: not a calle.v1.EdgeCommand (${(err as Error).message})` };
  }
  const refuse = (reason: string): GuardVerdict => ({ ok: false, reason, command });
  if (!command.commandId) return refuse('command_id: empty');
  if (command.edgeId !== ctx.edgeId)
    return refuse(
      `edge_id: the command is for ${JSON.stringify(command.edgeId)}, this edge is ${ctx.edgeId}`,
    );
  if (command.actor.length > COMMAND_MAX_ACTOR)
    return refuse(`actor: ${command.actor.length} characters, at most ${COMMAND_MAX_ACTOR} allowed`);
  const type = COMMAND_TYPES[command.type];
  if (!type) return refuse(`type: ${JSON.stringify(command.type)} is not a command this edge knows`);
  if (!ctx.allowed.has(command.type))
    return refuse(`type: ${command.type} is not allowed on this edge (commands.allow in its configuration)`);
  const now = ctx.nowMs;
  if (!(now >= CLOCK_SANE_AFTER_MS))
    return refuse("expires_ms: this edge's clock is not set, so expiry cannot be checked");
  if (command.issuedMs > now + CLOCK_SKEW_MS)
    return refuse(`issued_ms: ${command.issuedMs - now} ms in the future of this edge's clock`);
  if (command.expiresMs <= now) return refuse(`expires_ms: expired ${now - command.expiresMs} ms ago`);
  if (command.expiresMs - command.issuedMs > COMMAND_MAX_LIFETIME_MS)
    return refuse(
      `expires_ms: valid for ${command.expiresMs - command.issuedMs} ms, more than the ${COMMAND_MAX_LIFETIME_MS} ms allowed`,
    );
  let json: unknown;
  try {
    json = command.paramsJson === '' ? {} : JSON.parse(command.paramsJson);
  } catch {
    return refuse('params_json: not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return refuse('params_json: must be a JSON object');
  const params = type.parse(json as Record<string, unknown>);
  if (typeof params === 'string') return refuse(params);
  if (!ctx.ids.claim(command.commandId, command.expiresMs, now))
    return refuse(`command_id: ${command.commandId} was already carried out (a replay)`);
  return { ok: true, command, params };
}
