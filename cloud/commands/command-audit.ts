// The coordinator's audit row for every command attempt: who asked, which edge, and what came of
// it — "command.done", "command.refused" or "command.no-answer" (then nobody knows whether the
// edge acted, which is exactly when the row matters most). Written to the dashboard's hash-chained
// log; a row that cannot be written is reported by the log (error log, writeFailures, the
// calle_audit_write_failures_total metric), never thrown at the operator whose command went out.
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { CommandRequest, CommandResult } from './command-sender.js';

/** The CommandSender `record` option that writes each attempt to `audit`. */
export function commandAuditRecorder(audit: AuditLog): (req: CommandRequest, result: CommandResult) => void {
  return (req, result) => {
    audit.record({
      actor: req.actor,
      action: `command.${result.outcome}`,
      target: `edge:${req.edgeId}`,
      after: { commandId: result.commandId, type: req.type, params: req.params, reason: result.reason },
    });
  };
}
