import { describe, expect, it } from 'vitest';

import {
  STAGE1_OUTPUT_SCHEMA,
  STAGE1_OUTPUT_SCHEMA_NAME,
  STAGE1_TEXT_FORMAT,
} from './output-schema.js';

describe('stage-1 output schema', () => {
  it('is a strict-mode object schema: every property a required string, nothing else', () => {
    expect(STAGE1_OUTPUT_SCHEMA.type).toBe('object');
    expect(STAGE1_OUTPUT_SCHEMA.additionalProperties).toBe(false);
    const properties = Object.keys(STAGE1_OUTPUT_SCHEMA.properties).sort();
    expect(properties).toEqual(['raw_memory', 'rollout_slug', 'rollout_summary']);
    expect([...STAGE1_OUTPUT_SCHEMA.required].sort()).toEqual(properties);
    for (const property of Object.values(STAGE1_OUTPUT_SCHEMA.properties)) {
      expect(property.type).toBe('string');
    }
  });

  it('is the text.format of a Responses API request', () => {
    expect(STAGE1_TEXT_FORMAT).toEqual({
      type: 'json_schema',
      name: STAGE1_OUTPUT_SCHEMA_NAME,
      strict: true,
      schema: STAGE1_OUTPUT_SCHEMA,
    });
    expect(STAGE1_OUTPUT_SCHEMA_NAME).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(JSON.parse(JSON.stringify(STAGE1_TEXT_FORMAT))).toEqual(STAGE1_TEXT_FORMAT);
  });

  it('cannot be changed by accident', () => {
    expect(Object.isFrozen(STAGE1_TEXT_FORMAT)).toBe(true);
    expect(Object.isFrozen(STAGE1_OUTPUT_SCHEMA.properties.raw_memory)).toBe(true);
  });
});
