// The public API is a committed list (spec/public-api.txt): every name a user can import from `oss-stream`,
// `oss-stream/server` and `oss-stream/pino`, runtime values and types apart. Adding, removing or retyping a public
// name changes that file, so the change shows in review instead of slipping out with a refactor.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIST = join(ROOT, 'spec/public-api.txt');
const ENTRIES: Record<string, string> = {
  'oss-stream': 'lib/index.ts',
  'oss-stream/server': 'lib/server/index.ts',
  'oss-stream/pino': 'lib/pino.ts',
};
const HEADER = [
  '# The public API: `<entry> <value|type> <name>`, checked by spec/public-api.spec.ts.',
  '# A change here is a change to what users can import: review it. To regenerate after a deliberate change:',
  '#   UPDATE_PUBLIC_API=1 npx mocha spec/public-api.spec.ts',
];

/** Every name each entry exports, as TypeScript sees the source the bundles are built from. */
function declaredExports(): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const files = Object.values(ENTRIES).map((f) => join(ROOT, f));
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, file))!)!;
    out.set(
      entry,
      checker.getExportsOfModule(module).map((s) => s.name),
    );
  }
  return out;
}

/** The lines of the list for the current source: runtime names from the loaded modules, the rest are types. */
async function currentList(): Promise<string[]> {
  const lines: string[] = [];
  for (const [entry, names] of declaredExports()) {
    const runtime = Object.keys((await import(pathToFileURL(join(ROOT, ENTRIES[entry]!)).href)) as object);
    const missing = runtime.filter((n) => !names.includes(n));
    expect(missing, `${entry}: runtime exports TypeScript does not see`).to.deep.equal([]);
    for (const name of names) lines.push(`${entry} ${runtime.includes(name) ? 'value' : 'type'} ${name}`);
  }
  return lines.sort();
}

describe('public API', function () {
  this.timeout(60_000);
  let current: string[];
  before(async () => {
    current = await currentList();
  });

  it('is exactly the committed list (spec/public-api.txt)', () => {
    if (process.env['UPDATE_PUBLIC_API'] === '1') writeFileSync(LIST, [...HEADER, ...current, ''].join('\n'));
    const committed = readFileSync(LIST, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    const added = current.filter((l) => !committed.includes(l));
    const gone = committed.filter((l) => !current.includes(l));
    expect(added, 'new public names (add them to spec/public-api.txt)').to.deep.equal([]);
    expect(gone, 'public names gone (remove them from spec/public-api.txt)').to.deep.equal([]);
  });

  it('exposes no internals: resolved options, defaults, the transport', () => {
    const names = current.map((l) => l.split(' ')[2]!);
    const internalName = /^resolve|^Resolved|DEFAULTS$|^(OssContext|HttpClient|MultipartInternals)$/;
    const internal = names.filter((n) => internalName.test(n));
    expect(internal).to.deep.equal([]);
  });
});
