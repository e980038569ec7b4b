import { fileURLToPath } from 'node:url';

import { mergeConfig } from 'vitest/config';

import { packageTestConfig } from '../../vitest.shared.js';

// Soak mode runs each matrix for many more trials: one test can take many minutes.
const soak = process.env['AGENT_STATE_SOAK'] === '1';

export default mergeConfig(
  packageTestConfig(fileURLToPath(new URL('.', import.meta.url))),
  soak ? { test: { testTimeout: 3_600_000, hookTimeout: 600_000 } } : {},
);
