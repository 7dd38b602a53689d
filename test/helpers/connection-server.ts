// A WebSocket server on a free local port whose connections run the sync connection part
// (cloud/sync/connection.ts) with the given dependencies and message handler: the connection-level
// tests' server. `closeConnectionServers` (in an afterEach) closes every one opened.
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { type ConnectionDeps, type MessageHandler, startConnection } from '../../cloud/sync/connection.ts';

const open: WebSocketServer[] = [];

/**
 * Starts a server and returns its port. `watchSocket`: each connection is handed the upgrade's socket
 * too, as the endpoint does (its bytes watched before `ws` reads them, for the read slots).
 */
export async function connectionServer<D extends ConnectionDeps>(
  deps: D,
  handler: MessageHandler<D>,
  options: { maxPayload?: number; watchSocket?: boolean } = {},
): Promise<number> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
  });
  open.push(wss);
  wss.on('connection', (ws, req) =>
    startConnection(
      ws,
      req.headers.authorization,
      deps,
      handler,
      options.watchSocket ? req.socket : undefined,
    ),
  );
  await new Promise((r) => wss.once('listening', r));
  return (wss.address() as AddressInfo).port;
}

export async function closeConnectionServers(): Promise<void> {
  for (const wss of open.splice(0)) await new Promise((r) => wss.close(r));
}
