// The operator API under /admin as OpenAPI operations (part of the cloud's document, cloud/http/openapi.ts):
// tenants and clusters, each with the schema its route parses the body with and the schema it answers.
import { z } from 'zod';
import { type ApiOperation, created, ok } from '../../src/http/openapi/operations.ts';
import * as admin from '../../src/protocol/admin-api.ts';
import { createTenantBody, moveBody, offboardBody } from './admin-routes.ts';
import { restoreBody } from './backup-routes.ts';
import { addClusterBody } from './cluster-routes.ts';

export function adminOperations(): ApiOperation[] {
  const auth = 'adminToken' as const;
  const tag = 'Operator: tenants';
  const org = { orgId: 'the organization id' };
  return [
    {
      method: 'post',
      route: '/admin/tenants',
      tag,
      summary:
        'Onboard a tenant: its database, schema and owner (201; 200 when an interrupted onboarding resumed)',
      auth,
      body: createTenantBody,
      responses: {
        201: { description: 'onboarded; the owner password is shown once', schema: admin.onboardedSchema },
        200: { description: 'an interrupted onboarding finished', schema: admin.onboardedSchema },
      },
    },
    {
      method: 'get',
      route: '/admin/tenants',
      tag,
      summary: 'List tenants',
      auth,
      responses: ok('the tenants', admin.tenantListSchema),
    },
    {
      method: 'get',
      route: '/admin/tenants/:orgId',
      tag,
      summary: 'One tenant',
      auth,
      params: org,
      responses: ok('the tenant', admin.tenantViewSchema),
    },
    {
      method: 'post',
      route: '/admin/tenants/:orgId/migrate',
      tag,
      summary: "Bring the tenant's schema to the latest",
      auth,
      params: org,
      responses: ok('the migration', admin.migratedSchema),
    },
    {
      method: 'post',
      route: '/admin/tenants/:orgId/offboard',
      tag,
      summary: 'Drop the tenant (after a backup): send {"confirm": true}',
      auth,
      params: org,
      body: offboardBody,
      responses: ok('offboarded', admin.offboardedSchema),
    },
    {
      method: 'post',
      route: '/admin/tenants/:orgId/move',
      tag,
      summary: "Move the tenant's database to another cluster, abort a move, or release a kept source",
      auth,
      params: org,
      body: moveBody,
      responses: ok('moved, or the move aborted', admin.moveAnswerSchema),
    },
    {
      method: 'get',
      route: '/admin/tenants/:orgId/export',
      tag,
      summary: "The tenant's data as a tar.gz",
      auth,
      params: org,
      responses: { 200: { description: 'the export', schema: z.string(), contentType: 'application/gzip' } },
    },
    {
      method: 'post',
      route: '/admin/tenants/:orgId/backup',
      tag,
      summary: 'Back the tenant up into the server’s backup directory',
      auth,
      params: org,
      responses: created('the backup', admin.backupSchema),
    },
    {
      method: 'post',
      route: '/admin/tenants/:orgId/restore',
      tag,
      summary: 'Restore a backup of the backup directory (201 as a new tenant, 200 replacing)',
      auth,
      params: org,
      body: restoreBody,
      responses: {
        201: { description: 'restored as a new tenant', schema: admin.restoredSchema },
        200: { description: 'replaced the tenant', schema: admin.restoredSchema },
      },
    },
    {
      method: 'get',
      route: '/admin/reports/tenants',
      tag,
      summary: 'Every tenant with status, schema, size, sales today and last sync',
      auth,
      responses: ok('the fleet report', admin.fleetReportSchema),
    },
    ...clusterOperations(),
  ];
}

function clusterOperations(): ApiOperation[] {
  const auth = 'adminToken' as const;
  const tag = 'Operator: clusters';
  const name = { name: 'the cluster name' };
  return [
    {
      method: 'get',
      route: '/admin/clusters',
      tag,
      summary: 'List clusters',
      auth,
      responses: ok('the clusters', admin.clusterListSchema),
    },
    {
      method: 'post',
      route: '/admin/clusters',
      tag,
      summary: 'Add a cluster',
      auth,
      body: addClusterBody,
      responses: created('added', admin.clusterViewSchema),
    },
    {
      method: 'get',
      route: '/admin/clusters/:name',
      tag,
      summary: 'One cluster',
      auth,
      params: name,
      responses: ok('the cluster', admin.clusterViewSchema),
    },
    {
      method: 'post',
      route: '/admin/clusters/:name/drain',
      tag,
      summary: 'Place no new tenants on it',
      auth,
      params: name,
      responses: ok('draining', admin.drainedSchema),
    },
    {
      method: 'post',
      route: '/admin/clusters/:name/undrain',
      tag,
      summary: 'Place tenants on it again',
      auth,
      params: name,
      responses: ok('active', admin.drainedSchema),
    },
    {
      method: 'delete',
      route: '/admin/clusters/:name',
      tag,
      summary: 'Remove an empty cluster',
      auth,
      params: name,
      responses: ok('removed', admin.removedClusterSchema),
    },
  ];
}

/** The whole cloud API, as `modernpos serve` serves it. */
