import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// A clone of the repository has nothing beside it: no test, script or file of ticketbot may read
// outside its own tree (the fixtures it needs live in test/fixtures).

const root = resolve(import.meta.dirname, '..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((file) => /\.(ts|js|mjs|cjs|json|yml|yaml|sh)$/.test(file) || file === '.ci/run')
  .filter((file) => !file.startsWith('test/fixtures/') && file !== 'package-lock.json');

/** The folder beside the developers' checkout, spelled so that this file does not name it. */
const SHARED = ['..', 'shared', ''].join('/');

/** Quoted relative paths ('../x', "./y", `../z`) in a file's text. */
const RELATIVE = /['"`](\.\.?\/[^'"`\s$]*)['"`]/g;

describe('the repository stands alone', () => {
  it('has files to look at', () => {
    expect(tracked.length).toBeGreaterThan(50);
  });

  it('reads nothing outside its own tree', () => {
    const outside: string[] = [];
    for (const file of tracked) {
      const text = readFileSync(resolve(root, file), 'utf8');
      for (const [, path] of text.matchAll(RELATIVE)) {
        const target = relative(root, resolve(root, dirname(file), path!));
        if (target.startsWith('..')) outside.push(`${file}: ${path}`);
      }
      if (text.includes(SHARED)) outside.push(`${file}: names ${SHARED}`);
    }
    expect(outside).toEqual([]);
  });
});
