/**
 * The port `startWebServer` listens on when none is given (and `agent-state serve` without
 * `--port`).
 *
 * @example
 * ```ts
 * const server = await startWebServer({ home });
 * server.port === DEFAULT_WEB_PORT; // true: http://127.0.0.1:4815/
 * ```
 */
export const DEFAULT_WEB_PORT = 4815;
