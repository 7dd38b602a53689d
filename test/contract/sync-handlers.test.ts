// The sync message handler (cloud/sync/handle-message.ts) against a real tenant database, with no
// socket: each message's result is a value, `ok` with the replies, `refused` with the refusal that
// would close the connection, or `fatal`; the state the connection keeps is what the test passes.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice, revokeDevice } from '../../cloud/devices/devices.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { handleMessage } from '../../cloud/sync/handle-message.ts';
import type { HandlerResult } from '../../cloud/sync/handler-result.ts';
import type { SessionDeps } from '../../cloud/sync/session-deps.ts';
import { newSessionState, type SessionState } from '../../cloud/sync/session-state.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { silentLogger } from '../../src/log.ts';
import type { Hello } from '../../src/protocol/messages.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe.each(engineNames)('sync message handlers on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let resolver: TenantResolver;
  let deps: SessionDeps;
  const orgId = uniqueId('hdl');
  const storeId = randomUUID();
  const hello = (over: Partial<Hello> = {}): Hello => ({
    type: 'hello',
    protocolVersion: 5,
    schemaVersion: 2,
    storeId,
    pullCursor: 0,
    terminals: ['T1'],
    ...over,
  });
  const newDevice = async (name: string) =>
    registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name });
  const stateOf = (token?: string): SessionState =>
    newSessionState(token === undefined ? undefined : `Bearer ${token}`, silentLogger());
  /** A state as the connection leaves it after `result` welcomed the device. */
  const welcomedBy = (state: SessionState, result: HandlerResult): SessionState => {
    if (result.type !== 'ok' || !result.welcomed) throw new Error(`not welcomed: ${JSON.stringify(result)}`);
    state.ready = result.welcomed.ready;
    return state;
  };

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Handlers', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    resolver = createTenantResolver({ control: p.control, engine: p.engine, keyring: p.tenants.keyring });
    deps = {
      resolver,
      limits: {
        maxFrameBytes: 64 * 1024,
        maxBatchMutations: 2,
        heartbeatMs: 60_000,
        helloTimeoutMs: 60_000,
        pullPageSize: 10,
        lastSeenEveryMs: 0,
      },
      schemaVersions: { min: 2, max: 1_000 },
      logger: silentLogger(),
      now: () => new Date('2026-01-02T03:04:05.000Z'),
    };
  });
  afterAll(async () => {
    await resolver?.close();
    await db?.close();
    await p?.destroy();
  });

  it('welcomes a device: the welcome to send, the device for the connection to register, its store bound', async () => {
    const device = await newDevice('Till');
    const result = await handleMessage(stateOf(device.token), hello(), deps);
    expect(result).toMatchObject({
      type: 'ok',
      replies: [
        {
          type: 'welcome',
          orgId,
          deviceId: device.deviceId,
          branch: { code: 'MAIN' },
          terminals: ['T1'],
          lastAppliedSeq: 0,
        },
      ],
      welcomed: {
        ready: { orgId, deviceId: device.deviceId, branchCode: 'MAIN', currency: 'EUR', protocolVersion: 5 },
      },
    });
    expect(
      await db.query('SELECT store_id, last_seen_at FROM devices WHERE id = $1', [device.deviceId]),
    ).toEqual([{ store_id: storeId, last_seen_at: expect.anything() }]);
    // Another edge database with the same token is refused: the token is bound to the first.
    expect(await handleMessage(stateOf(device.token), hello({ storeId: randomUUID() }), deps)).toMatchObject({
      type: 'refused',
      refusal: { code: 'device_in_use', closeCode: 4001 },
    });
  });

  it('refuses a hello without a token, with a wrong one or of another protocol, as values', async () => {
    expect(await handleMessage(stateOf(), hello(), deps)).toMatchObject({
      type: 'refused',
      refusal: { code: 'unauthorized', closeCode: 4001 },
    });
    expect(await handleMessage(stateOf(`mpd_${orgId}_${'x'.repeat(32)}`), hello(), deps)).toMatchObject({
      type: 'refused',
      refusal: { code: 'unauthorized' },
    });
    const device = await newDevice('Old');
    expect(await handleMessage(stateOf(device.token), hello({ protocolVersion: 99 }), deps)).toMatchObject({
      type: 'refused',
      refusal: { code: 'upgrade_required' },
    });
  });

  it('answers messages out of place with an error that leaves the connection open', async () => {
    const before = stateOf();
    expect(await handleMessage(before, { type: 'pull', cursor: 0 }, deps)).toEqual({
      type: 'ok',
      replies: [{ type: 'error', code: 'unexpected_message', message: 'send hello first' }],
    });
    const device = await newDevice('Three');
    const state = stateOf(device.token);
    welcomedBy(state, await handleMessage(state, hello({ protocolVersion: 3 }), deps));
    expect(await handleMessage(state, { type: 'outcomes', seqs: [1] }, deps)).toEqual({
      type: 'ok',
      replies: [{ type: 'error', code: 'unexpected_message', message: 'outcomes needs protocol 4' }],
    });
    expect(await handleMessage(state, hello(), deps)).toMatchObject({
      type: 'ok',
      replies: [{ type: 'error', code: 'unexpected_message' }],
    });
  });

  it('answers a welcomed device: pull, stock pull, outcomes, an empty push, a too large one, a ping', async () => {
    const device = await newDevice('Reader');
    const state = stateOf(device.token);
    welcomedBy(state, await handleMessage(state, hello({ storeId: randomUUID() }), deps));
    expect(await handleMessage(state, { type: 'pull', cursor: 0 }, deps)).toMatchObject({
      type: 'ok',
      replies: [{ type: 'changes' }],
    });
    expect(await handleMessage(state, { type: 'stock_pull', cursor: 0 }, deps)).toMatchObject({
      type: 'ok',
      replies: [{ type: 'stock_changes' }],
    });
    expect(await handleMessage(state, { type: 'outcomes', seqs: [1] }, deps)).toEqual({
      type: 'ok',
      replies: [{ type: 'outcomes', outcomes: [] }],
    });
    expect(await handleMessage(state, { type: 'push', mutations: [] }, deps)).toEqual({
      type: 'ok',
      replies: [{ type: 'ack', results: [], lastAppliedSeq: 0 }],
    });
    const three = [1, 2, 3].map((seq) => ({ seq }));
    expect(
      await handleMessage(
        state,
        { type: 'push', mutations: three } as unknown as Parameters<typeof handleMessage>[1],
        deps,
      ),
    ).toMatchObject({ type: 'ok', replies: [{ type: 'error', code: 'batch_too_large' }] });
    await db.query('UPDATE devices SET last_seen_at = NULL WHERE id = $1', [device.deviceId]);
    expect(await handleMessage(state, { type: 'ping', at: 42 }, deps)).toEqual({
      type: 'ok',
      replies: [{ type: 'pong', at: 42 }],
    });
    const [row] = await db.query<{ seen: string | null }>(
      'SELECT last_seen_at AS seen FROM devices WHERE id = $1',
      [device.deviceId],
    );
    expect(row?.seen).not.toBeNull();
  });

  it('refuses a revoked device on its next read, and turns an unknown failure into fatal', async () => {
    const device = await newDevice('Revoked');
    const state = stateOf(device.token);
    welcomedBy(state, await handleMessage(state, hello({ storeId: randomUUID() }), deps));
    await revokeDevice({ db, orgId, actor: 'test' }, device.deviceId);
    expect(await handleMessage(state, { type: 'pull', cursor: 0 }, deps)).toMatchObject({
      type: 'refused',
      refusal: { code: 'unauthorized', closeCode: 4001 },
    });
    const broken = { ...deps, resolver: { ...resolver, withTenant: () => Promise.reject(new Error('bug')) } };
    expect(await handleMessage(state, { type: 'pull', cursor: 0 }, broken)).toEqual({
      type: 'fatal',
      error: new Error('bug'),
    });
  });
});
