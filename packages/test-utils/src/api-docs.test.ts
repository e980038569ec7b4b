import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { findUndocumentedExports } from './api-docs.js';
import { tempDirs } from './temp-dirs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Writes a tiny TypeScript project and returns the path of its entry, `index.ts`. */
function writeProject(files: Record<string, string[]>): string {
  const dir = temp.make('api-docs');
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    include: ['*.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  for (const [name, lines] of Object.entries(files)) {
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  }
  return join(dir, 'index.ts');
}

describe('findUndocumentedExports', () => {
  it('names the exports and public class members that lack an @example', () => {
    const entry = writeProject({
      'index.ts': [
        "export { type Greeting, greet as sayHello } from './greeting.js';",
        '',
        '/**',
        ' * Adds two numbers.',
        ' *',
        ' * @example',
        ' * ```ts',
        ' * add(1, 2); // 3',
        ' * ```',
        ' */',
        'export function add(a: number, b: number): number {',
        '  return a + b;',
        '}',
        '',
        'export function subtract(a: number, b: number): number {',
        '  return a - b;',
        '}',
        '',
        '/** Options of `add`: documented, but without an example. */',
        'export interface AddOptions {',
        '  precise: boolean;',
        '}',
        '',
        '/**',
        ' * Counts up.',
        ' *',
        ' * @example',
        ' * ```ts',
        ' * new Counter().increment(); // 1',
        ' * ```',
        ' */',
        'export class Counter {',
        '  #count: number;',
        '',
        '  constructor(start = 0) {',
        '    this.#count = start;',
        '  }',
        '',
        '  /**',
        '   * Adds one and returns the new count.',
        '   *',
        '   * @example',
        '   * ```ts',
        '   * counter.increment(); // 1',
        '   * ```',
        '   */',
        '  increment(): number {',
        '    this.#count += 1;',
        '    return this.#count;',
        '  }',
        '',
        '  reset(): void {',
        '    this.#count = 0;',
        '  }',
        '',
        '  /** @internal For tests. */',
        '  debug(): string {',
        '    return String(this.#count);',
        '  }',
        '',
        '  private log(): void {}',
        '',
        '  #secret(): void {}',
        '}',
      ],
      'greeting.ts': [
        '/**',
        ' * A greeting.',
        ' *',
        ' * @example',
        ' * ```ts',
        " * const greeting: Greeting = { text: 'hello' };",
        ' * ```',
        ' */',
        'export interface Greeting {',
        '  text: string;',
        '}',
        '',
        '/** Greets someone, re-exported under another name. */',
        'export function greet(name: string): Greeting {',
        "  return { text: 'hello ' + name };",
        '}',
      ],
    });

    expect(findUndocumentedExports(entry)).toEqual([
      'AddOptions',
      'Counter.constructor',
      'Counter.reset',
      'sayHello',
      'subtract',
    ]);
  });

  it('accepts a fully documented entry', () => {
    const entry = writeProject({
      'index.ts': [
        '/**',
        ' * The answer.',
        ' *',
        ' * @example',
        ' * ```ts',
        ' * ANSWER; // 42',
        ' * ```',
        ' */',
        'export const ANSWER = 42;',
      ],
    });

    expect(findUndocumentedExports(entry)).toEqual([]);
  });
});
