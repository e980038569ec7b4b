import { fileURLToPath } from 'node:url';

import { mergeConfig } from 'vitest/config';

import { packageTestConfig } from '../../vitest.shared.js';

export default mergeConfig(packageTestConfig(fileURLToPath(new URL('.', import.meta.url))), {
  // The browser assets, built from the sources once before the tests (the server serves them).
  test: { globalSetup: ['test/global-setup.ts'] },
});
