-- Tenant moves between clusters (`tenant move ORG --to CLUSTER`). One row per move; at most one
-- unfinished move per tenant. `phase` is the last step done, so a run killed part-way resumes from
-- it (or `--abort` undoes it before the switch). `frozen` is the write freeze: while it is set the
-- resolver hands out no lease for the tenant (edges get a retryable `tenant_unavailable`). After the
-- switch the source database is kept until the background job drops it (`source_dropped_at`).
CREATE TABLE tenant_moves (
  id BIGSERIAL PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations (id),
  source_cluster TEXT NOT NULL REFERENCES clusters (name),
  target_cluster TEXT NOT NULL REFERENCES clusters (name),
  method TEXT NOT NULL CHECK (method IN ('logical', 'copy')),
  phase TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'switched', 'aborted')),
  frozen BOOLEAN NOT NULL DEFAULT false,
  frozen_at TIMESTAMPTZ,
  freeze_ms INTEGER,
  error TEXT,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  switched_at TIMESTAMPTZ,
  source_dropped_at TIMESTAMPTZ,
  CHECK (source_cluster <> target_cluster)
);
CREATE UNIQUE INDEX tenant_moves_one_running ON tenant_moves (org_id) WHERE state = 'running';
CREATE INDEX tenant_moves_sources_kept ON tenant_moves (switched_at)
  WHERE state = 'switched' AND source_dropped_at IS NULL;
