// Comparing a legacy schema's tables with the tenant schema at one version (cloud/tenants/import/structure.ts).
import { describe, expect, it } from 'vitest';
import type { Structure } from '../../cloud/tenants/import/legacy-source.ts';
import { describeDiff, diffSize, diffStructure } from '../../cloud/tenants/import/structure.ts';

const shape = (tables: Record<string, Record<string, string>>): Structure =>
  new Map(
    Object.entries(tables).map(([t, cols]) => [
      t,
      Object.entries(cols).map(([name, type]) => ({ name, type })),
    ]),
  );

describe('legacy structure against a tenant schema version', () => {
  const expected = shape({
    sales: { id: 'text', total_minor: 'bigint' },
    payments: { sale_id: 'text', amount_minor: 'bigint' },
  });

  it('matches the same tables and columns in any column order', () => {
    const legacy = shape({
      payments: { amount_minor: 'bigint', sale_id: 'text' },
      sales: { total_minor: 'bigint', id: 'text' },
    });
    expect(diffSize(diffStructure(legacy, expected))).toBe(0);
  });

  it('names missing and extra tables, missing and extra columns and columns of another type', () => {
    const legacy = shape({
      sales: { id: 'text', total_minor: 'integer', loyalty_points: 'integer' },
      loyalty: { id: 'text' },
    });
    const diff = diffStructure(legacy, expected);
    expect(diff).toEqual({
      missingTables: ['payments'],
      extraTables: ['loyalty'],
      missingColumns: [],
      extraColumns: ['sales.loyalty_points'],
      typeMismatches: ['sales.total_minor: integer ≠ bigint'],
    });
    expect(describeDiff(diff)).toBe(
      'missing tables: payments; extra tables: loyalty; extra columns: sales.loyalty_points; columns of another type: sales.total_minor: integer ≠ bigint',
    );
  });

  it('lists at most ten names of a kind and counts the rest', () => {
    const legacy = shape({});
    const many = shape(
      Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [`t${String(i).padStart(2, '0')}`, { id: 'text' }]),
      ),
    );
    expect(describeDiff(diffStructure(legacy, many))).toMatch(/^missing tables: t00, .*t09 \(\+2 more\)$/);
  });
});
