// What `tenant import` is asked for and what it answers: the operator's input, checked before
// anything is opened, the result, and the marker an org row keeps so a rerun recognises its import.
import { requireClusterName, requireRegion } from '../../clusters/validate.ts';
import type { Organization } from '../../control/organizations.ts';
import type { PlacementRequest } from '../placement.ts';
import { requireName, requireOrgId } from '../validate.ts';
import { requireLegacySchema, requireSourceUrl, sourceLabel } from './legacy-source.ts';

export interface ImportInput {
  orgId: string;
  fromUrl: string;
  schema: string;
  /** The organization's name; default the legacy `organization_name` setting, else the org id. */
  name?: string | undefined;
  decommission?: boolean | undefined;
  cluster?: string | undefined;
  region?: string | undefined;
  /** How long to wait for the legacy tables' locks before refusing (default 10 s). */
  lockTimeoutMs?: number | undefined;
}

export interface ImportResult {
  orgId: string;
  database: string;
  cluster: string;
  source: string;
  schema: string;
  /** The tenant schema version the legacy schema was found at. */
  legacyVersion: number;
  schemaVersion: number;
  tables: { table: string; rows: number; checksum: string }[];
  rows: number;
  /** How long the legacy tables were locked against writes, in ms. */
  frozenMs: number;
  decommissioned: boolean;
  /** An interrupted import was finished (the copy starts over when it had not switched). */
  resumed: boolean;
  /** The import had already switched: this run only finished the freeze (and the decommission). */
  alreadyImported: boolean;
}

/** What the org row remembers of its import (in `onboarding.import`), so a rerun recognises it. */
export interface ImportMarker {
  source: string;
  schema: string;
}

export const markerOf = (org: Organization): ImportMarker | undefined =>
  (org.onboarding as unknown as { import?: ImportMarker }).import;

export interface Checked {
  orgId: string;
  fromUrl: string;
  schema: string;
  source: string;
  name: string | undefined;
  placement: PlacementRequest;
}

/** Checks the operator's input before anything is opened or written. */
export function validateImportInput(input: ImportInput): Checked {
  const fromUrl = requireSourceUrl(input.fromUrl);
  return {
    orgId: requireOrgId(input.orgId),
    fromUrl,
    schema: requireLegacySchema(input.schema),
    source: sourceLabel(fromUrl),
    name: input.name === undefined ? undefined : requireName(input.name),
    placement: {
      ...(input.cluster === undefined ? {} : { cluster: requireClusterName(input.cluster) }),
      ...(input.region === undefined ? {} : { region: requireRegion(input.region) }),
    },
  };
}

/** Audits one import step as `tenant.import.<action>` and runs the afterStep hook. */
export type Step = (action: string, details?: Record<string, unknown>) => Promise<void>;
