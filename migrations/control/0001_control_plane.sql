-- The control plane: which tenants exist, where their databases live, how to reach them
-- (encrypted), and an audit trail of every lifecycle step.
CREATE TABLE organizations (
  id TEXT PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_]{0,47}$'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status TEXT NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'offboarding', 'offboarded')),
  cluster TEXT NOT NULL,
  database_name TEXT NOT NULL UNIQUE,
  schema_version INTEGER NOT NULL DEFAULT 0,
  -- What onboarding was asked for, so a resumed onboarding seeds exactly what the first run would have.
  onboarding JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tenant_connection_strings (
  org_id TEXT PRIMARY KEY REFERENCES organizations (id),
  -- base64(iv | auth tag | AES-256-GCM ciphertext); never the plaintext DSN.
  ciphertext TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  rotated_at TIMESTAMPTZ
);

CREATE INDEX tenant_connection_strings_key_id ON tenant_connection_strings (key_id);

CREATE TABLE audit_logs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  org_id TEXT,
  details JSONB NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_logs_org_at ON audit_logs (org_id, at);
