import { DevError } from '../../exception';

/**
 * What a domain declares of access: the permissions it defines (name and
 * what it allows, for people and the OpenAPI document) and the roles it
 * defines, each a list of permissions (its own or another domain's).
 * Core knows no permission or role by name, only `admin`, which holds every
 * permission there is.
 */
export interface AccessDeclaration {
  permissions?: Readonly<Record<string, string>>;
  roles?: Readonly<Record<string, readonly string[]>>;
}

/** The role that holds every permission. */
export const ADMIN_ROLE = 'admin';

/** Permission sets kept per role list at most: sessions repeat a handful of role lists on every request. */
const MAX_CACHED_ROLE_LISTS = 1000;

function accessMistake(reason: string): DevError {
  return new DevError('INTERNAL', { cause: new Error(`Access declarations: ${reason}`) });
}

/**
 * The app's permissions and roles, put together from every domain's
 * declaration (src/domains.ts lists them): a route declares the permission
 * it needs, a staff member's roles grant permissions. Built once at start;
 * a permission declared twice, or a role that grants one nobody declared,
 * is a programming mistake that stops the start.
 */
export class AccessControl {
  private readonly described = new Map<string, string>();
  private readonly roles = new Map<string, ReadonlySet<string>>();
  /** Permission sets already built, by role list. */
  private readonly granted = new Map<string, ReadonlySet<string>>();

  constructor(declarations: readonly AccessDeclaration[]) {
    for (const declaration of declarations) {
      for (const [name, description] of Object.entries(declaration.permissions ?? {})) {
        if (this.described.has(name)) throw accessMistake(`the permission ${name} is declared twice.`);
        this.described.set(name, description);
      }
    }
    for (const declaration of declarations) {
      for (const [role, permissions] of Object.entries(declaration.roles ?? {})) {
        if (role === ADMIN_ROLE || this.roles.has(role)) throw accessMistake(`the role ${role} is declared twice.`);
        for (const p of permissions) {
          if (!this.described.has(p)) throw accessMistake(`the role ${role} grants ${p}, which no domain declares.`);
        }
        this.roles.set(role, new Set(permissions));
      }
    }
    this.roles.set(ADMIN_ROLE, new Set(this.described.keys()));
  }

  /** Whether a permission is declared. */
  isPermission(name: string): boolean {
    return this.described.has(name);
  }

  /**
   * Throws a DevError unless `permission` is `public`, `authenticated` or
   * declared: a route that needs a permission nobody declares would lock
   * everyone out, a typo found only in production.
   */
  requireDeclared(permission: string, where: string): void {
    if (permission === 'public' || permission === 'authenticated' || this.described.has(permission)) return;
    throw accessMistake(`${where} needs the permission ${permission}, which no domain declares.`);
  }

  /** What a permission allows, in a sentence; undefined for one not declared. */
  describe(name: string): string | undefined {
    return this.described.get(name);
  }

  isRole(name: string): boolean {
    return this.roles.has(name);
  }

  /** The permissions the roles grant together (shared and read-only); unknown roles grant nothing. */
  permissionsOf(roles: readonly string[]): ReadonlySet<string> {
    // Role names hold no NUL, so the joined list identifies the roles given.
    const key = roles.join('\0');
    let set = this.granted.get(key);
    if (!set) {
      const built = new Set<string>();
      for (const role of roles) for (const p of this.roles.get(role) ?? []) built.add(p);
      set = built;
      // Bounded: role lists come from the accounts table, but a cache must not grow without limit.
      if (this.granted.size < MAX_CACHED_ROLE_LISTS) this.granted.set(key, set);
    }
    return set;
  }
}
