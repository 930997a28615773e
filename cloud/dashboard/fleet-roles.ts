// What each role may do on the fleet dashboard. The roles are the console's (common/access/roles.ts,
// ordered viewer < technician < engineer, so one user store and one CLI serve both), mapped onto
// the coordinator's actions by how much of the city an action changes (IEC 62443-4-2 CR 2.1,
// authorisation enforcement):
//   viewer      reads the fleet, rollouts, alarms, KPIs, policies and the audit log, and may
//               validate a draft policy (a dry run that changes nothing);
//   technician  (shown as "operator" in the page) also halts, resumes and rolls back rollouts:
//               the actions that stop or undo a change in flight, which the people on shift must
//               be able to take at once without waiting for an engineer;
//   engineer    also publishes policies and starts staged rollouts: the actions that send new
//               settings to the street, signed with the coordinator's key; and approves or revokes
//               enrolling edges. An approval lets a key act for a cabinet that controls signals
//               and lights (IEC 62443-4-2 CR 1.2, device identification and authentication), a
//               decision as weighty as publishing a policy and taken at provisioning time, not on
//               shift; a revocation is its counterpart, kept with the same role so that shutting
//               an edge out and letting it back in need the same authority (the CLI's equivalent
//               is access to the coordinator's database file or NATS user).
import { ROLES, type Role } from '../../common/access/roles.js';

export const FLEET_PERMISSIONS = {
  /** Edges, districts, alarms, KPIs, rollouts and policies. */
  'fleet.view': 'viewer',
  /** The dashboard's audit log and its chain verification. */
  'audit.read': 'viewer',
  /** Parse and schema-check a draft, and diff it against the current version. */
  'policy.validate': 'viewer',
  /** Halt, resume or roll back a rollout. */
  'rollout.control': 'technician',
  /** Publish a policy version, or start a staged rollout of one. */
  'policy.publish': 'engineer',
  /** Approve or revoke an edge's enrolment (its key and its place in the fleet). */
  'enrolment.decide': 'engineer',
} as const satisfies Record<string, Role>;

export type FleetPermission = keyof typeof FLEET_PERMISSIONS;

export function fleetCan(role: Role, permission: FleetPermission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(FLEET_PERMISSIONS[permission]);
}

/** Every permission a role holds, for the page to enable controls (the server decides). */
export function fleetPermissionsOf(role: Role): FleetPermission[] {
  return (Object.keys(FLEET_PERMISSIONS) as FleetPermission[]).filter((p) => fleetCan(role, p));
}
