import { AgentStateError, registerErrorCodes } from '@agent-state/state';

import { urlHost } from './server/host-name.js';

/**
 * The error codes of `@agent-state/web`, registered in agent-state's error table
 * (`errorCodeInfo` of `@agent-state/state`): the server could not listen where it was asked to
 * (`PORT_IN_USE`, `ADDRESS_UNAVAILABLE`), the package's browser assets are missing
 * (`WEB_ASSETS_MISSING`: it was not built), or a request came as the server closed
 * (`WEB_SERVER_CLOSED`).
 *
 * @example
 * ```ts
 * try {
 *   await startWebServer({ home, port: 4815 });
 * } catch (error) {
 *   if (isAgentStateError(error) && error.code === WebErrorCode.PortInUse) console.error('try --port 0');
 * }
 * ```
 */
export const WebErrorCode = registerErrorCodes('@agent-state/web', {
  PortInUse: {
    code: 'PORT_IN_USE',
    category: 'invalid-argument',
    description: 'The port the web server was asked to listen on is used by another program.',
  },
  AddressUnavailable: {
    code: 'ADDRESS_UNAVAILABLE',
    category: 'invalid-argument',
    description:
      'The web server cannot listen on that host and port (not an address of this machine, or a port it may not use).',
  },
  AssetsMissing: {
    code: 'WEB_ASSETS_MISSING',
    category: 'internal',
    description:
      "The web UI's browser assets (assets/manifest.json beside the package's code) are missing: the package was not built.",
  },
  ServerClosed: {
    code: 'WEB_SERVER_CLOSED',
    category: 'aborted',
    description: 'The web server was closed while a request was still waiting for the store.',
  },
});

/**
 * One of the values of {@link WebErrorCode}.
 *
 * @example
 * ```ts
 * const code: WebErrorCode = WebErrorCode.PortInUse;
 * ```
 */
export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

/**
 * The web server could not listen on `host`:`port`: the port is used by another program
 * (`PORT_IN_USE`), or the address cannot be used here (`ADDRESS_UNAVAILABLE`). The message names
 * the address.
 *
 * @example
 * ```ts
 * try {
 *   await startWebServer({ home, port });
 * } catch (error) {
 *   if (error instanceof ListenError) console.error(`port ${error.port} is taken: ${error.message}`);
 * }
 * ```
 */
export class ListenError extends AgentStateError<WebErrorCode> {
  /** The host the server was to listen on. */
  readonly host: string;
  /** The port the server was to listen on. */
  readonly port: number;

  /**
   * The message names the address and what to do.
   *
   * @example
   * ```ts
   * new ListenError(WebErrorCode.PortInUse, { host: '127.0.0.1', port: 4815 }).message;
   * // 'port 4815 is in use (127.0.0.1:4815): stop the program using it or choose another port (--port 0 picks a free one)'
   * ```
   */
  constructor(
    code: WebErrorCode,
    address: { host: string; port: number },
    options: { cause?: unknown } = {},
  ) {
    const where = `${urlHost(address.host)}:${address.port}`;
    super(
      code,
      code === WebErrorCode.PortInUse
        ? `port ${address.port} is in use (${where}): stop the program using it or choose another port (--port 0 picks a free one)`
        : `cannot listen on ${where}: not an address of this machine, or a port this user may not use`,
      options,
    );
    this.host = address.host;
    this.port = address.port;
  }
}
