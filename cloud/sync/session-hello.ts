// The hello handler: the device token, protocol and schema versions checked, the tenant asked
// (hello.ts), then a welcome with the device for the connection to register, or a refusal.
import { parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Hello } from '../../src/protocol/messages.ts';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../src/protocol/version.ts';
import { type HandlerResult, refused, unexpected } from './handler-result.ts';
import { helloTenant } from './hello.ts';
import { Refusal, refuseUnservedHello } from './refusal.ts';
import { type SessionDeps, sessionClock } from './session-deps.ts';
import type { SessionState } from './session-state.ts';

export async function handleHello(
  state: SessionState,
  message: Hello,
  deps: SessionDeps,
): Promise<HandlerResult> {
  const { limits } = deps;
  const now = sessionClock(deps);
  if (state.ready) return unexpected('hello was already received');
  const token = /^Bearer (\S+)$/.exec(state.authorization ?? '')?.[1];
  const parsed = token === undefined ? undefined : parseDeviceToken(token);
  if (!token || !parsed)
    return refused(
      new Refusal(
        'unauthorized',
        'a device token is required (Authorization: Bearer mpd_…)',
        closeCodes.unauthorized,
      ),
    );
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(message.protocolVersion)) {
    return refused(
      new Refusal(
        'upgrade_required',
        `protocol ${message.protocolVersion} is not supported; this cloud speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
        closeCodes.upgradeRequired,
      ),
    );
  }
  const { min, max } = deps.schemaVersions;
  if (message.schemaVersion < min || message.schemaVersion > max) {
    return refused(
      new Refusal(
        'upgrade_required',
        `tenant schema ${message.schemaVersion} is not supported; this cloud accepts ${min}–${max}`,
        closeCodes.upgradeRequired,
      ),
    );
  }
  const welcome = await (deps.hellos
    ? deps.hellos.hello(parsed.orgId, { token, message })
    : deps.resolver.withTenant(parsed.orgId, (db) => helloTenant(db, parsed.orgId, token, message, now))
  ).catch((err: unknown) => refuseUnservedHello(deps.resolver, parsed.orgId, token, err));
  return {
    type: 'ok',
    replies: [
      {
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
      },
    ],
    welcomed: {
      ready: {
        orgId: parsed.orgId,
        deviceId: welcome.device.id,
        branchCode: welcome.device.branchCode,
        currency: welcome.currency,
        protocolVersion: message.protocolVersion,
      },
      hello: message,
    },
  };
}
