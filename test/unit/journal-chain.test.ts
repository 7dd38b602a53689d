// The journal's canonical form and chain walk (src/journal): one text per value, a hash that changes
// with any journaled field and not with flags, and a verdict naming the exact first broken link.
import { describe, expect, it } from 'vitest';
import type { JournalDocument, JournalSale } from '../../src/journal/canonical-document.ts';
import { canonicalInstant, canonicalJson } from '../../src/journal/canonical-json.ts';
import {
  type ChainKey,
  genesisHash,
  linkHash,
  linkText,
  type StoredLink,
  verifyChain,
} from '../../src/journal/chain.ts';

const key: ChainKey = { orgId: 'acme', branch: 'B1', terminal: 'T1', storeId: 'store-1' };

function sale(id: string, totalMinor: number): JournalDocument {
  const document: JournalSale = {
    id,
    kind: 'sale',
    receiptNo: `B1-T1-${id}`,
    originalSaleId: null,
    branch: 'B1',
    terminal: 'T1',
    shiftId: null,
    cashier: null,
    cashierUserId: null,
    customerId: null,
    currency: 'EUR',
    subtotalMinor: totalMinor,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor,
    changeMinor: 0,
    occurredAt: '2026-12-04T10:00:00.000+01:00',
    businessDate: '2026-12-04',
    reason: null,
    lines: [
      {
        lineNo: 1,
        productId: 'p1',
        name: 'Crème brûlée "maison"',
        qtyMilli: 1000,
        unitPriceMinor: totalMinor,
        amountMinor: totalMinor,
        discountMinor: 0,
        taxRateBp: 0,
        taxInclusive: true,
        taxMinor: 0,
        totalMinor,
        originalLineNo: null,
      },
    ],
    payments: [
      { method: 'cash', amountMinor: totalMinor, tenderedMinor: totalMinor, changeMinor: 0, reference: null },
    ],
  };
  return { kind: 'sale', document };
}

function chainOf(docs: JournalDocument[]): StoredLink[] {
  let prev = genesisHash(key);
  return docs.map((document, i) => {
    const hash = linkHash(i + 1, prev, document);
    const link: StoredLink = {
      seq: i + 1,
      kind: document.kind,
      documentId: document.kind === 'shift_close' ? document.document.shiftId : document.document.id,
      prevHash: prev,
      hash,
      document,
    };
    prev = hash;
    return link;
  });
}

describe('canonical JSON', () => {
  it('sorts keys, writes no whitespace and refuses what is not an integer', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x"y'], c: { z: 0, y: -0 } })).toBe(
      '{"a":[true,null,"x\\"y"],"b":1,"c":{"y":0,"z":0}}',
    );
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/integers only/);
  });

  it('writes instants in UTC with milliseconds', () => {
    expect(canonicalInstant('2026-12-04T10:00:00+01:00')).toBe('2026-12-04T09:00:00.000Z');
    expect(canonicalInstant('2026-12-04T09:00:00.123456Z')).toBe('2026-12-04T09:00:00.123Z');
    for (const canonical of [
      '2026-12-04T09:00:00.123Z',
      '2026-12-31T23:59:59.999Z',
      '2028-02-29T00:00:00.000Z',
    ]) {
      expect(canonicalInstant(canonical)).toBe(canonical);
    }
    expect(() => canonicalInstant('2026-12-04 at nine')).toThrow(/not an instant/);
  });
});

describe('a terminal chain', () => {
  it('verifies an intact chain and its text names format, seq, kind and prevHash', () => {
    const links = chainOf([sale('a', 100), sale('b', 200), sale('c', 300)]);
    expect(verifyChain({ key, links, headSeq: 3, preJournal: 2 })).toMatchObject({
      intact: true,
      links: 3,
      headSeq: 3,
      firstBreak: null,
      preJournal: 2,
    });
    const text = JSON.parse(linkText(1, genesisHash(key), sale('a', 100)));
    expect(Object.keys(text)).toEqual(['document', 'format', 'kind', 'prevHash', 'seq']);
  });

  it('names an edited amount at its own link', () => {
    const links = chainOf([sale('a', 100), sale('b', 200), sale('c', 300)]);
    links[1] = { ...links[1]!, document: sale('b', 201) };
    expect(verifyChain({ key, links, headSeq: 3, preJournal: 0 }).firstBreak).toEqual({
      seq: 2,
      reason: 'hash_mismatch',
      documentId: 'b',
    });
  });

  it('names a deleted document, a deleted link, a reorder and a cut-off end', () => {
    const links = chainOf([sale('a', 100), sale('b', 200), sale('c', 300), sale('d', 400)]);
    const missingDoc = links.map((l) => (l.seq === 2 ? { ...l, document: undefined } : l));
    expect(verifyChain({ key, links: missingDoc, headSeq: 4, preJournal: 0 }).firstBreak).toMatchObject({
      seq: 2,
      reason: 'document_missing',
    });
    const gap = links.filter((l) => l.seq !== 3);
    expect(verifyChain({ key, links: gap, headSeq: 4, preJournal: 0 }).firstBreak).toMatchObject({
      seq: 3,
      reason: 'gap',
    });
    const swapped = [links[0]!, { ...links[2]!, seq: 2 }, { ...links[1]!, seq: 3 }, links[3]!];
    expect(verifyChain({ key, links: swapped, headSeq: 4, preJournal: 0 }).firstBreak).toMatchObject({
      seq: 2,
      reason: 'prev_hash_mismatch',
    });
    expect(verifyChain({ key, links: links.slice(0, 2), headSeq: 4, preJournal: 0 }).firstBreak).toEqual({
      seq: 3,
      reason: 'truncated',
      documentId: null,
    });
  });

  it('lists a discarded document as an exception, not a break', () => {
    const links = chainOf([sale('a', 100), sale('b', 200)]).map((l) =>
      l.seq === 1 ? { ...l, document: undefined, exception: 'discarded from the quarantine' } : l,
    );
    const verdict = verifyChain({ key, links, headSeq: 2, preJournal: 0 });
    expect(verdict.intact).toBe(true);
    expect(verdict.exceptions).toEqual([
      { seq: 1, documentId: 'a', reason: 'discarded from the quarantine' },
    ]);
  });

  it('starts from a genesis of its own org, branch, terminal and store', () => {
    expect(genesisHash(key)).not.toBe(genesisHash({ ...key, terminal: 'T2' }));
    expect(genesisHash(key)).not.toBe(genesisHash({ ...key, storeId: 'store-2' }));
    expect(genesisHash(key)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the fast canonical text', () => {
  it('writes every kind in canonical form, each hashing to its pinned format-1 value', () => {
    const full = sale('x', 500);
    if (full.kind !== 'sale') throw new Error('a sale');
    const docs: JournalDocument[] = [
      {
        kind: 'refund',
        document: {
          ...full.document,
          kind: 'refund',
          originalSaleId: 'a',
          reason: 'broken',
          cashier: 'Ann',
          cashierUserId: 'u1',
          customerId: 'c1',
          shiftId: 's1',
          approval: {
            approverUserId: 'm1',
            approvedAt: '2026-12-04T10:00:00Z',
            reasons: ['refund_over_limit'],
          },
          lines: full.document.lines.map((l) => ({ ...l, originalLineNo: 1 })),
          payments: [
            { method: 'card', amountMinor: 500, tenderedMinor: 500, changeMinor: 0, reference: 'slip 1' },
          ],
        },
      },
      {
        kind: 'shift_open',
        document: {
          id: 's1',
          branch: 'B1',
          terminal: 'T1',
          openedBy: 'Ann',
          openedByUserId: 'u1',
          openedAt: '2026-12-04T08:00:00.000Z',
          openingFloatMinor: 1000,
          businessDate: '2026-12-04',
        },
      },
      {
        kind: 'cash_movement',
        document: {
          id: 'm1',
          shiftId: 's1',
          direction: 'out',
          amountMinor: 200,
          reason: 'bank drop',
          cashier: 'Ann',
          cashierUserId: 'u1',
          occurredAt: '2026-12-04T09:00:00.000Z',
        },
      },
      {
        kind: 'shift_close',
        document: {
          shiftId: 's1',
          closedAt: '2026-12-04T18:00:00.000Z',
          closedBy: 'Ann',
          closedByUserId: 'u1',
          counted: [
            { method: 'card', countedMinor: 500 },
            { method: 'cash', countedMinor: 800 },
          ],
          seal: {
            grandSalesMinor: 500,
            grandRefundsMinor: 500,
            grandTaxMinor: -3,
            lastDocumentHash: 'f'.repeat(64),
          },
        },
      },
    ];
    // Each kind's hash pinned (format 1): a field dropped, renamed or written differently changes it,
    // and chains already recorded would no longer verify.
    const pinned = [
      '0d9194413c14dd4433386c8183dc686a6424cf1fac603aa4be0a3b7ed28b37cd',
      '744273d55d9c674c18f469130b0ea5e6e68946c6014fa4a10be0b51f2f7918db',
      'f159791e6f07726fd56b6cf0e70cc58dbdb0531133bc4816d3d3e375c1b0b5dd',
      'cfd6b4d274927e921de61a3d6d5c3fec7db2224779d175758c0e64fabb54efa2',
      'd74b8f51bd6f3028ca33f3d4876276e4bac7fce54ac0870da931c4b8acb92894',
    ];
    [full, ...docs].forEach((doc, i) => {
      const text = linkText(7, 'e'.repeat(64), doc);
      expect(text).toBe(canonicalJson(JSON.parse(text)));
      expect(text).not.toContain('undefined');
      expect(linkHash(7, 'e'.repeat(64), doc), doc.kind).toBe(pinned[i]);
    });
  });
});
