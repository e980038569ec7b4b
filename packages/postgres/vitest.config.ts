import { fileURLToPath } from 'node:url';

import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig(fileURLToPath(new URL('.', import.meta.url)));
