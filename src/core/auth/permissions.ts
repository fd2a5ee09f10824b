/**
 * Every permission, in one place. A route declares the one it needs; roles
 * grant them. `admin` holds every permission.
 */
export const PERMISSIONS = {
  'cs_event.read': 'Read customer-service events, their timelines, categories and counts.',
  'cs_event.write': 'Create events and change the events one handles.',
  'cs_event.admin': 'Change any event, delete events, and edit categories.',
  'risk.review': 'Read suspicious orders and give verdicts.',
  'staff.admin': 'Create, change and disable staff accounts.',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ROLES: Record<string, readonly Permission[]> = {
  cs_agent: ['cs_event.read', 'cs_event.write'],
  cs_admin: ['cs_event.read', 'cs_event.write', 'cs_event.admin'],
  risk_reviewer: ['risk.review', 'cs_event.read'],
  admin: Object.keys(PERMISSIONS) as Permission[],
};

export function isRole(name: string): boolean {
  return Object.hasOwn(ROLES, name);
}

/** The permissions the roles grant together; unknown roles grant nothing. */
export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const granted = new Set<Permission>();
  for (const role of roles) for (const p of ROLES[role] ?? []) granted.add(p);
  return granted;
}
