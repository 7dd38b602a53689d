// The edge's cloud URL → sync endpoint: a base URL (http, https, ws, wss; with or without a path
// prefix or a trailing slash) or the sync endpoint itself all lead to one `ws(s)://…/v1/sync`.
import { describe, expect, it } from 'vitest';
import { syncUrl } from '../../edge/sync/connection.ts';

describe('syncUrl', () => {
  it.each([
    ['http://host:8080', 'ws://host:8080/v1/sync'],
    ['http://host:8080/', 'ws://host:8080/v1/sync'],
    ['ws://host:8080/v1/sync', 'ws://host:8080/v1/sync'],
    ['ws://host:8080/v1/sync/', 'ws://host:8080/v1/sync'],
    ['http://host:8080/v1/sync', 'ws://host:8080/v1/sync'],
    ['https://cloud.example.com', 'wss://cloud.example.com/v1/sync'],
    ['wss://cloud.example.com/v1/sync', 'wss://cloud.example.com/v1/sync'],
    ['https://example.com/pos/', 'wss://example.com/pos/v1/sync'],
    ['https://example.com/pos/v1/sync', 'wss://example.com/pos/v1/sync'],
    ['http://host:8080//', 'ws://host:8080/v1/sync'],
  ])('%s → %s', (given, expected) => {
    expect(syncUrl(given)).toBe(expected);
  });
});
