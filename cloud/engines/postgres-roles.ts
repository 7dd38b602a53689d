// The postgres engine's role part: each tenant database is owned by a login role of the same name
// whose password is stored as a SCRAM verifier; the template's objects are owned by a NOLOGIN role
// and reassigned to each tenant's role when its database is copied.
import { quoteIdent, quoteLiteral, type SqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { scramSha256Verifier } from '../secrets/scram.ts';
import type { EngineRoles } from './roles.ts';

export interface PostgresRolesOptions {
  /** The engine's administrative handle on its maintenance database. */
  admin: SqlDatabase;
  /** The engine's shared administrative handle on `name`. */
  database(name: string): SqlDatabase;
  /** The role owning the template's objects until they are handed to a tenant. */
  templateRole: string;
  /** The tenant's DSN: the admin URL pointed at `database`, as the tenant's role with `password`. */
  dsnFor(database: string, password: string): string;
}

export function createPostgresRoles(options: PostgresRolesOptions): EngineRoles {
  const { admin, templateRole, dsnFor } = options;
  let superuser: Promise<boolean> | undefined;

  const isSuperuser = () => {
    superuser ??= admin
      .query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')
      .then((rows) => rows[0]?.rolsuper === true)
      .catch((err: unknown) => {
        superuser = undefined; // a failed check is asked again next time, not remembered
        throw err;
      });
    return superuser;
  };

  const roleExists = async (role: string) =>
    (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;

  /** A non-superuser admin must be a member of a role to hand objects to it or act as it. */
  const joinRole = async (role: string) => {
    if (!(await isSuperuser())) await admin.exec(`GRANT ${quoteIdent(role)} TO CURRENT_USER`);
  };

  /** Sets the role's password (as a SCRAM verifier), creating the role only when `create` is set. */
  const setPassword = async (role: string, password: string, create: boolean) => {
    const verifier = quoteLiteral(scramSha256Verifier(password));
    if (await roleExists(role)) {
      await admin.exec(`ALTER ROLE ${quoteIdent(role)} WITH LOGIN PASSWORD ${verifier}`);
    } else if (create) {
      await admin.exec(`CREATE ROLE ${quoteIdent(role)} WITH LOGIN PASSWORD ${verifier}`);
    } else {
      throw new AppError('tenant_unavailable', `role ${role} does not exist`);
    }
  };

  return {
    async revokePublicConnect(name) {
      await admin.exec(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(name)} FROM PUBLIC`);
    },

    async prepareTemplate(template) {
      if (!(await roleExists(templateRole))) {
        try {
          await admin.exec(`CREATE ROLE ${quoteIdent(templateRole)} NOLOGIN`);
        } catch (err) {
          if ((err as { code?: string }).code !== '42710') throw err; // created concurrently
        }
      }
      await joinRole(templateRole);
      await options
        .database(template)
        .exec(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdent(templateRole)}`);
      await admin.exec(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(template)} FROM PUBLIC`);
    },

    async grantTenantAccess(db, password, handle) {
      const role = quoteIdent(db);
      await setPassword(db, password, true);
      await joinRole(db);
      await admin.exec(
        `ALTER DATABASE ${quoteIdent(db)} OWNER TO ${role};
         REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(db)} FROM PUBLIC;
         GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(db)} TO ${role};`,
      );
      if (await roleExists(templateRole)) {
        // One simple-protocol message: Postgres runs its statements as one implicit transaction.
        await handle.exec(
          `REASSIGN OWNED BY ${quoteIdent(templateRole)} TO ${role};
           REVOKE ALL ON SCHEMA public FROM ${quoteIdent(templateRole)};`,
        );
      }
      return dsnFor(db, password);
    },

    async rotateTenantPassword(db, password) {
      await setPassword(db, password, false);
      return dsnFor(db, password);
    },

    async revokeTenantAccess(db) {
      if (await roleExists(db)) await admin.exec(`ALTER ROLE ${quoteIdent(db)} WITH NOLOGIN`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
        [db],
      );
    },

    async dropTenantRole(db) {
      await admin.exec(`DROP ROLE IF EXISTS ${quoteIdent(db)}`);
    },

    migrationRole(db) {
      return db;
    },
  };
}
