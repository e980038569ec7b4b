import packageJson from '../package.json' with { type: 'json' };

/** The version of @agent-state/logs-client (inlined from its package.json at build time). */
export const LOGS_CLIENT_VERSION: string = packageJson.version;
