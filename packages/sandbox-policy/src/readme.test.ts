import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The README's examples are what users copy: they must compile against this package, under the
// strictest settings a user may have, and run what they check.

const SRC_DIR = fileURLToPath(new URL('.', import.meta.url));
const README = readFileSync(join(SRC_DIR, '..', 'README.md'), 'utf8');
const EXAMPLES = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

describe('README examples', () => {
  it('compile against the sources (strict, exactOptionalPropertyTypes)', () => {
    expect(EXAMPLES.length).toBeGreaterThan(0);
    // Virtual files next to index.ts, importing it in place of the package name.
    const files = new Map(
      EXAMPLES.map((code, index) => [
        join(SRC_DIR, `readme-example-${index}.ts`).replaceAll('\\', '/'),
        code.replaceAll("'@agent-state/sandbox-policy'", "'./index.js'"),
      ]),
    );
    const options: ts.CompilerOptions = {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
    };
    const disk = ts.createCompilerHost(options);
    const host: ts.CompilerHost = {
      ...disk,
      fileExists: (name) => files.has(name) || disk.fileExists(name),
      readFile: (name) => files.get(name) ?? disk.readFile(name),
      getSourceFile: (name, version, ...rest) => {
        const text = files.get(name);
        return text === undefined
          ? disk.getSourceFile(name, version, ...rest)
          : ts.createSourceFile(name, text, version);
      },
    };
    const program = ts.createProgram([...files.keys()], options, host);
    // Only the examples' own diagnostics: the sources are checked by the package's tsconfig.
    const diagnostics = [...files.keys()].flatMap((name) =>
      ts.getPreEmitDiagnostics(program, program.getSourceFile(name)).map((d) => {
        const line = d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line ?? -1;
        return `${name}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
    expect(diagnostics).toEqual([]);
  });

  it('run the bubblewrap they checked, not whichever comes first on PATH', () => {
    const confined = EXAMPLES.filter((code) => code.includes('bwrapInvocation('));
    expect(confined.length).toBeGreaterThan(0);
    for (const code of confined) {
      expect(code).toMatch(/const bwrap = findBwrap\(/);
      expect(code).toMatch(/checkSandboxSupport\(\{[^}]*\bexecutable: bwrap\b/);
      expect(code).toMatch(/bwrapInvocation\(\{[^}]*\bbwrap,?\s*\}\)/);
    }
  });
});
