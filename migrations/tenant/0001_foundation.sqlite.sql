-- Foundation of every tenant database: settings, roles, users, branches and tax rates.
-- SQLite variant of 0001_foundation.pg.sql: instants are ISO-8601 UTC text, booleans 0/1. STRICT
-- tables and NOT NULL keys, so SQLite refuses what Postgres would refuse at push time.
CREATE TABLE settings (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE roles (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  permissions TEXT NOT NULL
) STRICT;

CREATE TABLE branches (
  id TEXT NOT NULL PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  email TEXT UNIQUE,
  name TEXT NOT NULL,
  role_id TEXT NOT NULL REFERENCES roles (id),
  password_hash TEXT,
  pin_hash TEXT,
  active INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE tax_rates (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 100000),
  inclusive INTEGER NOT NULL,
  is_default INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX tax_rates_one_default ON tax_rates (is_default) WHERE is_default;
