// The embedded engine's role part, trivial on purpose: PGlite has no roles, passwords or network, so
// a tenant's "credentials" are its database's name. Granting and rotating only hand back that DSN;
// revoking refuses the tenant's handles (offboarding); the template, PUBLIC and role steps are no-ops.
import type { EngineRoles } from './roles.ts';

export interface EmbeddedRoles extends EngineRoles {
  /** Whether `database`'s access was revoked: its tenant handles then refuse every query. */
  isRevoked(database: string): boolean;
}

export interface EmbeddedRolesOptions {
  /** The DSN of `database` (the engine's own format). */
  dsnOf(database: string): string;
  /** Waits for the running queries on `database` and closes its instance. */
  closeDatabase(database: string): Promise<void>;
}

export function createEmbeddedRoles(options: EmbeddedRolesOptions): EmbeddedRoles {
  /** Tenant databases whose access was revoked (offboarding). */
  const revoked = new Set<string>();
  return {
    isRevoked: (database) => revoked.has(database),
    /** No-op: nothing but this process can open the data directory. */
    async revokePublicConnect() {},
    /** No-op: there are no roles to hand the template's objects to. */
    async prepareTemplate() {},
    /** No role and no password: the DSN is the database's name. Lifts an earlier revoke. */
    async grantTenantAccess(database) {
      revoked.delete(database);
      return options.dsnOf(database);
    },
    /** No password to change: the same DSN. */
    async rotateTenantPassword(database) {
      return options.dsnOf(database);
    },
    /** The embedded engine's "sessions" are queries: refuse new ones, and wait for running ones. */
    async revokeTenantAccess(database) {
      revoked.add(database);
      await options.closeDatabase(database);
    },
    /** No-op: there is no role. */
    async dropTenantRole() {},
    /** None: migrations run as PGlite's only user. */
    migrationRole() {
      return undefined;
    },
  };
}
