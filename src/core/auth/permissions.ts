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

/** Permission sets already built, by role list: sessions repeat a handful of role lists on every request. */
const granted = new Map<string, ReadonlySet<Permission>>();

/** The permissions the roles grant together (shared and read-only); unknown roles grant nothing. */
export function permissionsOf(roles: readonly string[]): ReadonlySet<Permission> {
  // Role names hold no NUL, so the joined list identifies the roles given.
  const key = roles.join('\0');
  let set = granted.get(key);
  if (!set) {
    const built = new Set<Permission>();
    for (const role of roles) for (const p of ROLES[role] ?? []) built.add(p);
    set = built;
    // Bounded: role lists come from the accounts table, but a cache must not grow without limit.
    if (granted.size < 1000) granted.set(key, set);
  }
  return set;
}
