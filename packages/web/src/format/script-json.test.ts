import { describe, expect, it } from 'vitest';

import { scriptJson } from './script-json.js';

describe('scriptJson', () => {
  it('cannot end its script element', () => {
    const text = scriptJson({ model: '</script><script>alert(1)</script>&\u2028' });
    expect(text).not.toContain('<');
    expect(text).not.toContain('>');
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual({ model: '</script><script>alert(1)</script>&\u2028' });
  });
});
