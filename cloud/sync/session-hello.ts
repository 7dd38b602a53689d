// The connection's hello: the device token, protocol and schema versions checked, the tenant asked
// (hello.ts), then the device registered for pokes and welcomed, or the hello refused.
import { parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Hello } from '../../src/protocol/messages.ts';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../src/protocol/version.ts';
import type { Connection } from './connection.ts';
import { helloTenant } from './hello.ts';
import { Refusal, refuseUnservedHello } from './refusal.ts';

export async function handleHello(conn: Connection, message: Hello): Promise<void> {
  const { deps, limits, now } = conn;
  if (conn.ready)
    throw new Refusal('unexpected_message', 'hello was already received', closeCodes.protocolError);
  const token = /^Bearer (\S+)$/.exec(conn.authorization ?? '')?.[1];
  const parsed = token === undefined ? undefined : parseDeviceToken(token);
  if (!token || !parsed)
    throw new Refusal(
      'unauthorized',
      'a device token is required (Authorization: Bearer mpd_…)',
      closeCodes.unauthorized,
    );
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(message.protocolVersion)) {
    throw new Refusal(
      'upgrade_required',
      `protocol ${message.protocolVersion} is not supported; this cloud speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
      closeCodes.upgradeRequired,
    );
  }
  const { min, max } = deps.schemaVersions;
  if (message.schemaVersion < min || message.schemaVersion > max) {
    throw new Refusal(
      'upgrade_required',
      `tenant schema ${message.schemaVersion} is not supported; this cloud accepts ${min}–${max}`,
      closeCodes.upgradeRequired,
    );
  }
  const welcome = await conn
    .withTenant(parsed.orgId, (db) => helloTenant(db, parsed.orgId, token, message, now))
    .catch((err: unknown) => refuseUnservedHello(deps.resolver, parsed.orgId, token, err));
  // The socket may have gone while the tenant answered: a dead session is never registered.
  if (conn.closed) return;
  const ready = {
    orgId: parsed.orgId,
    deviceId: welcome.device.id,
    branchCode: welcome.device.branchCode,
    currency: welcome.currency,
    protocolVersion: message.protocolVersion,
  };
  conn.ready = ready;
  conn.log = conn.log.child({ org: ready.orgId, device: ready.deviceId });
  conn.log.info(
    { protocol: message.protocolVersion, schema: message.schemaVersion, agent: message.agent },
    'sync connected',
  );
  deps.observer?.deviceConnected(ready.orgId, ready.deviceId);
  deps.observer?.deviceSeen(ready.orgId, ready.deviceId, message.backlog);
  if (message.backlog?.pending === 0) deps.observer?.deviceSynced(ready.orgId, ready.deviceId, true);
  conn.unsubscribe = deps.onReady?.({
    orgId: parsed.orgId,
    deviceId: welcome.device.id,
    poke: (cursor) => conn.send({ type: 'poke', cursor }),
    // Older edges know no such message: they learn nothing, as before.
    resolved: () => {
      if (message.protocolVersion >= 4) conn.send({ type: 'resolved' });
    },
    revoke: () => conn.refuse(new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized)),
  });
  conn.send({
    type: 'welcome',
    protocolVersion: message.protocolVersion,
    orgId: parsed.orgId,
    deviceId: welcome.device.id,
    branch: { code: welcome.device.branchCode, timeZone: welcome.device.branchTimeZone },
    terminals: message.terminals.filter((t) => welcome.terminals.has(t)),
    lastAppliedSeq: welcome.device.lastAppliedSeq,
    latestCursor: welcome.cursor,
    limits: { maxFrameBytes: limits.maxFrameBytes, maxBatchMutations: limits.maxBatchMutations },
    heartbeatMs: limits.heartbeatMs,
  });
}
