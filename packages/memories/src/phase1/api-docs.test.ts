import { fileURLToPath } from 'node:url';

import { findUndocumentedExports } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';

const MODULES = [
  'rollout-input.ts',
  'prompts.ts',
  'output-schema.ts',
  'parse-output.ts',
  'redact-secrets.ts',
  'truncate-utf8.ts',
];

describe('phase-1 modules', () => {
  it.each(MODULES)('%s documents every export with an example', (module) => {
    const path = fileURLToPath(new URL(`./${module}`, import.meta.url));
    expect(findUndocumentedExports(path)).toEqual([]);
  });
});
