import { fileURLToPath } from 'node:url';

import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig(fileURLToPath(new URL('.', import.meta.url)), {
  // The extraction worker from its TypeScript source (see test/setup.ts).
  setupFiles: ['test/setup.ts'],
});
