// docs/errors.md documents every error code the library can throw or the local server can answer. The codes are
// collected from the TypeScript AST of lib/**/*.ts (not from a hand-kept list), so a new `code: 'X'` fails this spec
// until X is documented. What was found, and where, is printed, so a reader can judge the scan.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

/** OSS-style codes: two or more capitalised words (NoSuchKey, InvalidURI, AbortError). */
const CODE_RE = /^[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+$/;

interface Site {
  file: string;
  line: number;
  rule: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function nameOf(node: ts.Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (ts.isIdentifier(node) || ts.isStringLiteral(node) || ts.isPrivateIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression))
    return node.argumentExpression.text;
  return undefined;
}

/** The string literals an expression can evaluate to through `??`, `||`, `?:`, parentheses and casts. */
function leaves(e: ts.Expression | undefined): ts.StringLiteralLike[] {
  if (e === undefined) return [];
  if (ts.isStringLiteralLike(e)) return [e];
  if (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e)
  )
    return leaves(e.expression);
  if (ts.isConditionalExpression(e)) return [...leaves(e.whenTrue), ...leaves(e.whenFalse)];
  if (
    ts.isBinaryExpression(e) &&
    (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  ) {
    return [...leaves(e.left), ...leaves(e.right)];
  }
  return [];
}

const isCodeName = (n: string | undefined): boolean => n !== undefined && /^(?:code|Code|[a-z]\w*Code)$/.test(n);
const isCodeTable = (n: string | undefined): boolean =>
  n !== undefined && /^(?:EC|[A-Z_]*CODES?|[A-Z_]*_MESSAGES)$/.test(n);

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/**
 * First pass: functions, methods and classes (by their constructor) that take an error code as a parameter named
 * `code` or `…Code` — `ServerError(status, code, …)`, `OssArgumentError(message, argument, code)`, `fail(status,
 * code, …)` — mapped to that parameter's position, so every call site can be read without a hand-kept list.
 */
function codeParameters(sources: readonly ts.SourceFile[]): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node)) {
      const i = node.parameters.findIndex((p) => isCodeName(nameOf(p.name)));
      const name = ts.isConstructorDeclaration(node)
        ? nameOf((node.parent as ts.ClassLikeDeclaration).name)
        : nameOf(node.name);
      if (i >= 0 && name !== undefined) found.set(name, i);
    }
    ts.forEachChild(node, visit);
  };
  for (const s of sources) visit(s);
  return found;
}

/** Scans one file; returns the literals found in an error-code position, with the rule that found them. */
function scanFile(
  source: ts.SourceFile,
  codeArgument: ReadonlyMap<string, number>,
): { text: string; node: ts.Node; rule: string }[] {
  const out: { text: string; node: ts.Node; rule: string }[] = [];
  const add = (lits: ts.StringLiteralLike[], rule: string): void => {
    for (const l of lits) out.push({ text: l.text, node: l, rule });
  };
  const visit = (node: ts.Node): void => {
    // { code: 'X' }, { code: f.code ?? 'X' }
    if (ts.isPropertyAssignment(node) && isCodeName(nameOf(node.name))) add(leaves(node.initializer), 'code: property');
    // const code = 'X'; function f(code = 'X'); readonly code = 'X'
    if (
      (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isPropertyDeclaration(node)) &&
      isCodeName(nameOf(node.name))
    ) {
      add(leaves(node.initializer), 'code variable');
    }
    // this.code = 'X'; err.code = 'X'
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      isCodeName(nameOf(node.left))
    ) {
      add(leaves(node.right), 'code assignment');
    }
    // code === 'X', err.code !== 'X': a code the library handles specially
    if (
      ts.isBinaryExpression(node) &&
      [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(
        node.operatorToken.kind,
      )
    ) {
      if (isCodeName(nameOf(node.left))) add(leaves(node.right), 'code comparison');
      if (isCodeName(nameOf(node.right))) add(leaves(node.left), 'code comparison');
    }
    // switch (err.code) { case 'X': }
    if (ts.isSwitchStatement(node) && isCodeName(nameOf(node.expression))) {
      for (const clause of node.caseBlock.clauses)
        if (ts.isCaseClause(clause)) add(leaves(clause.expression), 'code switch');
    }
    // new ServerError(400, 'X', …), new OssArgumentError(msg, arg, 'X'), fail(403, 'X', …), isCode(err, 'X')
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
      const callee = nameOf(node.expression);
      const args = node.arguments ?? ts.factory.createNodeArray();
      const at = callee === undefined ? undefined : codeArgument.get(callee);
      if (at !== undefined) add(leaves(args[at]), `${callee}() argument`);
      else if (callee !== undefined && (/Error$/.test(callee) || /^is[A-Z]?[a-z]*Code$/.test(callee))) {
        add(
          args.flatMap((a) => leaves(a)),
          `${callee}() argument`,
        );
      }
    }
    // function syntheticCode() { return 'X'; }
    if (ts.isReturnStatement(node)) {
      let fn: ts.Node | undefined = node.parent;
      while (fn !== undefined && !ts.isFunctionLike(fn)) fn = fn.parent;
      const fnName = fn === undefined ? undefined : nameOf((fn as ts.FunctionLikeDeclaration).name);
      if (fnName !== undefined && /code$/i.test(fnName)) add(leaves(node.expression), `return of ${fnName}()`);
    }
    // const EC = { NoSuchKey: '…' }, NETWORK_CODES = new Set([...]), SYNTHETIC_MESSAGES = { NoSuchKey: '…' }
    if (ts.isVariableDeclaration(node) && isCodeTable(nameOf(node.name)) && node.initializer !== undefined) {
      const table = nameOf(node.name)!;
      const scanTable = (n: ts.Node): void => {
        if (ts.isPropertyAssignment(n) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))) {
          out.push({ text: n.name.text, node: n.name, rule: `${table} table key` });
          return;
        }
        if (ts.isStringLiteralLike(n) && ts.isArrayLiteralExpression(n.parent))
          out.push({ text: n.text, node: n, rule: `${table} table entry` });
        ts.forEachChild(n, scanTable);
      };
      scanTable(node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

interface Scan {
  codeArgument: ReadonlyMap<string, number>;
  codes: Map<string, Site[]>;
  ignored: Map<string, Site[]>;
  files: number;
}

function scanLib(): Scan {
  const files = walk(join(root, 'lib')).filter((f) => f.endsWith('.ts'));
  const sources = files.map(parse);
  const codeArgument = codeParameters(sources);
  const codes = new Map<string, Site[]>();
  const ignored = new Map<string, Site[]>();
  for (const source of sources) {
    const file = relative(root, source.fileName).split('\\').join('/');
    for (const hit of scanFile(source, codeArgument)) {
      // Messages of generic errors (`new TypeError('…')`) are not codes: keep only identifier-like literals.
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(hit.text)) continue;
      const line = hit.node.getSourceFile().getLineAndCharacterOfPosition(hit.node.getStart()).line + 1;
      const target = CODE_RE.test(hit.text) ? codes : ignored;
      const sites = target.get(hit.text) ?? [];
      sites.push({ file, line, rule: hit.rule });
      target.set(hit.text, sites);
    }
  }
  return { codes, ignored, files: files.length, codeArgument };
}

/** The plain-regex view of the simplest forms, to check the AST scan against something independent. */
function regexCodes(): Set<string> {
  const found = new Set<string>();
  const patterns = [
    /\bcode: '([A-Za-z0-9]+)'/g,
    /\bServerError\(\s*\d+,\s*'([A-Za-z0-9]+)'/g,
    /\bfail\(\s*\d+,\s*'([A-Za-z0-9]+)'/g,
  ];
  for (const path of walk(join(root, 'lib')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path, 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) if (CODE_RE.test(m[1]!)) found.add(m[1]!);
  }
  return found;
}

interface DocEntry {
  code: string;
  cells: string[];
}

/** Rows of the docs/errors.md tables headed `| Code | …`. */
function docEntries(): DocEntry[] {
  const entries: DocEntry[] = [];
  let inCodeTable = false;
  for (const line of readFileSync(join(root, 'docs', 'errors.md'), 'utf8').split('\n')) {
    if (!line.startsWith('|')) {
      inCodeTable = false;
      continue;
    }
    if (/^\|\s*Code\s*\|/.test(line)) inCodeTable = true;
    const m = /^\|\s*`([A-Za-z0-9]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (inCodeTable && m !== null) entries.push({ code: m[1]!, cells: m[2]!.split('|').map((c) => c.trim()) });
  }
  return entries;
}

describe('docs/errors.md', () => {
  const scan = scanLib();
  const documented = docEntries();

  before(() => {
    const fmt = (m: Map<string, Site[]>): string =>
      [...m.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([code, sites]) => `    ${code.padEnd(28)} ${sites.map((s) => `${s.file}:${s.line} (${s.rule})`).join('; ')}`,
        )
        .join('\n');
    const takers = [...scan.codeArgument].map(([fn, i]) => `${fn}(#${i})`).join(', ');
    console.log(
      `      scanned ${scan.files} files under lib/; code parameters: ${takers}; ${scan.codes.size} error codes:\n${fmt(scan.codes)}`,
    );
    console.log(
      `      identifiers in a code position that are not OSS-style codes (Node/undici codes; not required in the doc):\n${fmt(scan.ignored)}`,
    );
    console.log(`      docs/errors.md documents ${documented.length} codes`);
  });

  it('the scan finds the codes we know are thrown (it is not silently finding nothing)', () => {
    const known = [
      'InvalidArgument',
      'InvalidBucketName',
      'InvalidObjectName',
      'EntityTooLarge',
      'AbortError',
      'InconsistentCrc64',
      'InconsistentLength',
      'RequestTimeout',
      'NetworkError',
      'RequestError',
      'InvalidResponse',
      'UnknownError',
      'CredentialsProviderError',
      'CallbackFailed',
      'PositionNotEqualToLength',
      'ObjectNotAppendable',
      'NoSuchKey',
      'NoSuchBucket',
      'NoSuchUpload',
      'InvalidPart',
      'InvalidPartOrder',
      'EntityTooSmall',
      'InvalidDigest',
      'MalformedXML',
      'MissingContentLength',
      'AccessDenied',
      'SignatureDoesNotMatch',
      'RequestTimeTooSkewed',
      'InvalidAccessKeyId',
      'InvalidSecurityToken',
      'FileAlreadyExists',
      'InternalError',
    ];
    expect(
      known.filter((c) => !scan.codes.has(c)),
      'known codes the scan missed',
    ).to.deep.equal([]);
  });

  it('the AST scan covers every code a plain regex finds', () => {
    expect(
      [...regexCodes()].filter((c) => !scan.codes.has(c)),
      'found by regex, missed by the AST scan',
    ).to.deep.equal([]);
  });

  it('documents every code the library can throw or the local server can answer', () => {
    const doc = new Set(documented.map((e) => e.code));
    const missing = [...scan.codes.keys()].filter((c) => !doc.has(c)).sort();
    expect(
      missing,
      'codes missing from docs/errors.md (add a row: | `Code` | HTTP | meaning | what to do |)',
    ).to.deep.equal([]);
  });

  it('gives each code one row with its HTTP status, meaning and what to do', () => {
    const seen = new Set<string>();
    const duplicates = documented
      .filter((e) => (seen.has(e.code) ? true : (seen.add(e.code), false)))
      .map((e) => e.code);
    expect(duplicates, 'documented twice').to.deep.equal([]);
    const thin = documented.filter((e) => e.cells.length < 3 || e.cells.some((c) => c === '')).map((e) => e.code);
    expect(thin, 'rows with an empty cell').to.deep.equal([]);
  });

  it('documents no code that nothing in lib/ mentions, unless the row says where it comes from', () => {
    // A stale row is misleading; a service code the library merely passes through is fine when marked so.
    const stale = documented
      .filter((e) => !scan.codes.has(e.code) && !e.cells.some((c) => /passed through|from the service/i.test(c)))
      .map((e) => e.code);
    expect(stale, 'documented but not found in lib/ (and not marked "passed through")').to.deep.equal([]);
  });
});
