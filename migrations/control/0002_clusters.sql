-- Clusters: the PostgreSQL servers tenant databases live on. Each organization names its cluster
-- (until now only a label). The deployment's own cluster (`default`, reached through
-- MODERNPOS_PG_URL, or `embedded` without it) keeps no URL here; an added cluster keeps its admin
-- URL sealed like a tenant DSN. A removed cluster keeps its row (offboarded tenants still name it)
-- with the URL wiped, and its name can be added again.
CREATE TABLE clusters (
  name TEXT PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,31}$'),
  kind TEXT NOT NULL CHECK (kind IN ('postgres', 'embedded')),
  region TEXT CHECK (region IS NULL OR region ~ '^[a-z][a-z0-9-]{0,31}$'),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draining', 'removed')),
  -- base64(iv | auth tag | AES-256-GCM ciphertext) of the admin URL, bound to 'cluster:' || name.
  admin_url_ciphertext TEXT,
  key_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((admin_url_ciphertext IS NULL) = (key_id IS NULL))
);

-- An existing deployment: its tenants' label was 'embedded' or the host:port of MODERNPOS_PG_URL.
-- That server becomes cluster `default`, and every tenant on it names it.
INSERT INTO clusters (name, kind)
SELECT 'embedded', 'embedded' WHERE EXISTS (SELECT 1 FROM organizations WHERE cluster = 'embedded');
INSERT INTO clusters (name, kind)
SELECT 'default', 'postgres' WHERE EXISTS (SELECT 1 FROM organizations WHERE cluster <> 'embedded');
INSERT INTO audit_logs (actor, action, details)
SELECT 'migration', 'cluster.adopted', jsonb_build_object(
  'cluster', c.name,
  'labels', (SELECT coalesce(jsonb_agg(DISTINCT o.cluster), '[]') FROM organizations o
             WHERE (o.cluster = 'embedded') = (c.kind = 'embedded')),
  'tenants', (SELECT count(*) FROM organizations o WHERE (o.cluster = 'embedded') = (c.kind = 'embedded')))
FROM clusters c;
UPDATE organizations SET cluster = 'default' WHERE cluster <> 'embedded';

ALTER TABLE organizations
  ADD CONSTRAINT organizations_cluster_fkey FOREIGN KEY (cluster) REFERENCES clusters (name);
CREATE INDEX organizations_cluster ON organizations (cluster);

-- The region a tenant was created in (`tenant create --region`): it is never placed or moved outside it.
ALTER TABLE organizations ADD COLUMN region TEXT CHECK (region IS NULL OR region ~ '^[a-z][a-z0-9-]{0,31}$');
