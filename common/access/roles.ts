// Roles and what each may do (IEC 62443-4-2 CR 2.1, authorisation enforcement: permissions are
// mapped to roles, and every request is checked against the role of the user who made it).
// Ordered: each role holds every permission of the roles below it.

export const ROLES = ['viewer', 'technician', 'engineer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  /** Read devices, status, alarms, policies and the event stream. */
  view: 'viewer',
  /** Read the audit log and its chain verification. */
  'audit.read': 'viewer',
  /** Set or cancel a lighting override with an expiry. */
  'lighting.override': 'technician',
  /** Clear a latched signal fault at the cabinet; flash and restore an intersection. */
  'signal.clear': 'engineer',
  /** Create users, change roles, reset other users' passwords. */
  'users.manage': 'engineer',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof PERMISSIONS;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(PERMISSIONS[permission]);
}

/** Every permission a role holds, for the page to show or hide controls (the server decides). */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(role, p));
}
