// ARCHITECTURE.md lists every file of lib/, one line each: keep it current.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('ARCHITECTURE.md', () => {
  it('lists every file under lib/ and no file that is gone', () => {
    const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
    const files = walk(join(root, 'lib')).map((f) => relative(root, f).split('\\').join('/')).filter((f) => f.endsWith('.ts'));
    const listed = [...doc.matchAll(/^- `(lib\/[^`]+)`/gm)].map((m) => m[1]);
    expect(files.filter((f) => !listed.includes(f)), 'missing from ARCHITECTURE.md').to.deep.equal([]);
    expect(listed.filter((f) => !files.includes(f!)), 'listed but gone').to.deep.equal([]);
  });
});
