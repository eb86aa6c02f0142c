// ARCHITECTURE.md lists every file of lib/, one line each: keep it current.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('ARCHITECTURE.md', () => {
  it('lists every file under lib/ and no file that is gone', () => {
    const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
    const files = walk(join(root, 'lib'))
      .map((f) => relative(root, f).split('\\').join('/'))
      .filter((f) => f.endsWith('.ts'));
    const listed = [...doc.matchAll(/^- `(lib\/[^`]+)`/gm)].map((m) => m[1]);
    expect(
      files.filter((f) => !listed.includes(f)),
      'missing from ARCHITECTURE.md',
    ).to.deep.equal([]);
    expect(
      listed.filter((f) => !files.includes(f!)),
      'listed but gone',
    ).to.deep.equal([]);
  });

  it('imports point down: the upload drivers never import each other, parts/ knows no api/ type, and only server/ imports server/', () => {
    const rules: Array<[string, RegExp]> = [
      ['lib/sinks/', /from '\.\.\/resumable\//],
      ['lib/resumable/', /from '\.\.\/sinks\//],
      ['lib/uploads/', /from '\.\.\/(sinks|resumable)\//],
      ['lib/parts/', /from '\.\.\/(api|sinks|resumable|uploads)\//],
      ['lib/api/', /from '\.\.\/(parts|sinks|resumable|uploads)\//],
      ['lib/core/', /from '\.\.\/(api|parts|sinks|resumable|uploads|server)\//],
    ];
    const files = walk(join(root, 'lib'))
      .map((f) => relative(root, f).split('\\').join('/'))
      .filter((f) => f.endsWith('.ts'));
    const offending: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const [dir, re] of rules) if (f.startsWith(dir) && re.test(text)) offending.push(`${f} ${re.source}`);
      if (!f.startsWith('lib/server/') && /from '(\.\.?\/)+server\//.test(text))
        offending.push(`${f} imports lib/server/`);
    }
    expect(offending).to.deep.equal([]);
  });
});
