// The site's telemetry sink, with critical alarms also written to the audit log. A latched
// intersection or a container fire must stand in the technician's trail next to the clears and
// overrides that answer it (issue #4: "latched flashing amber, an alarm and an audit row").
import type { TelemetrySink } from '../telemetry-sink.js';
import type { AuditLog } from '../../common/audit/audit-log.js';

export function auditedSink(inner: TelemetrySink, audit: AuditLog, edgeId: string): TelemetrySink {
  return {
    record: (readings) => inner.record(readings),
    raise: (event) => {
      inner.raise(event);
      if (event.severity !== 'critical') return;
      // The alarm is raised whatever happens here; a row that cannot be written is reported by
      // the log (AUDIT_WRITE_FAILED), and must not throw into the control loop that raised it.
      audit.record({
        actor: 'system',
        action: event.active ? 'alarm.raised' : 'alarm.cleared',
        target: event.deviceId ?? edgeId,
        after: { code: event.code, message: event.message },
      });
    },
  };
}
