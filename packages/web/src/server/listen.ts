import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type Logger, toAgentStateError } from '@agent-state/state';

import { ListenError, WebErrorCode } from '../errors.js';

/**
 * Listens; resolves to the port, or rejects with a {@link ListenError} naming the address. Once
 * listening, an `error` the server emits later is logged: a server without an `error` listener
 * would end the process.
 */
export function listen(
  server: Server,
  host: string,
  port: number,
  logger: Logger,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const code =
        error.code === 'EADDRINUSE' ? WebErrorCode.PortInUse : WebErrorCode.AddressUnavailable;
      if (
        error.code === 'EADDRINUSE' ||
        error.code === 'EADDRNOTAVAIL' ||
        error.code === 'EACCES' ||
        error.code === 'ENOTFOUND'
      ) {
        reject(new ListenError(code, { host, port }, { cause: error }));
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      server.on('error', (error) => {
        logger.error('the server failed', { error: toAgentStateError(error).message });
      });
      resolve((server.address() as AddressInfo).port);
    });
  });
}
