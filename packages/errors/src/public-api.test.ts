import { fileURLToPath } from 'node:url';
import { findUndocumentedExports } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';
describe('public API', () => {
  it('documents every export with an example', () => {
    expect(findUndocumentedExports(fileURLToPath(new URL('./index.ts', import.meta.url)))).toEqual(
      [],
    );
  });
});
