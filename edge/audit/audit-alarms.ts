// The audit log's own troubles, raised as alarms on the node (edge-node.ts wires them):
//   AUDIT_CAPACITY     (warning)  the log passed its row threshold: archive it (IEC 62443-4-2 CR 2.9);
//   AUDIT_WRITE_FAILED (critical) rows are not being written, active until the next row is
//                                 (CR 2.10, response to audit processing failures).
// Raised into the outbox directly, never through the audited sink: that sink writes critical
// alarms to the audit log, which is the thing failing.
import type { Logger } from 'pino';
import type { TelemetrySink } from '../telemetry-sink.js';
import type { AuditLogOptions } from '../../common/audit/audit-log.js';

export function auditAlarms(
  raise: TelemetrySink['raise'],
  now: () => number,
  log: Logger,
): Pick<AuditLogOptions, 'onCapacityWarning' | 'onWriteFailure'> {
  return {
    onCapacityWarning: (rows, warnAtRows) =>
      raise({
        code: 'AUDIT_CAPACITY',
        severity: 'warning',
        message: `audit log holds ${rows} rows, above its threshold of ${warnAtRows}: archive it`,
        timeMs: now(),
        active: true,
      }),
    onWriteFailure: (failing, error) => {
      try {
        raise({
          code: 'AUDIT_WRITE_FAILED',
          severity: 'critical',
          message: failing
            ? `audit log: rows are not being written (${error?.message ?? 'unknown error'}); the lost entries are in the node's log`
            : 'audit log: rows are written again',
          timeMs: now(),
          active: failing,
        });
      } catch (err) {
        // The outbox shares the database that is failing: the error log is all that is left.
        log.error({ err }, 'audit log: AUDIT_WRITE_FAILED could not be raised either');
      }
    },
  };
}
