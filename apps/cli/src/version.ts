import packageJson from '../package.json' with { type: 'json' };

/** The version of @agent-state/cli (inlined from its package.json at build time). */
export const CLI_VERSION: string = packageJson.version;
