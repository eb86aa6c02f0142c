/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): top functions by self time, top functions by inclusive
 * time (each function counted once per stack, so recursion does not inflate it), and self time per file.
 *
 *   node --import tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [--top 25] [--window window.json]
 *
 * `--window` names a JSON file `{ fromUs, toUs }` (monotonic microseconds, as `process.hrtime` / V8 stamp samples):
 * only samples inside it count, e.g. the uploads of bench/tools/profile-upload.ts without its start-up.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, window: { type: 'string' } },
});
if (positionals.length === 0) {
  process.stderr.write('usage: cpuprofile-top.ts <file.cpuprofile> [--top 25]\n');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;

const ROOT = process.cwd();
/** A short location: paths relative to the work tree, node_modules collapsed to the package. */
function where(url: string): string {
  if (url === '') return '(native)';
  let p = url.replace(/^file:\/\//, '');
  if (p.startsWith(`${ROOT}/`)) p = p.slice(ROOT.length + 1);
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    p = `${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}:${rest.slice(rest[0]!.startsWith('@') ? 2 : 1).join('/')}`;
  }
  return p;
}
function keyOf(f: CallFrame): string {
  return `${f.functionName === '' ? '(anonymous)' : f.functionName}  ${where(f.url)}${f.url === '' ? '' : `:${f.lineNumber + 1}`}`;
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const window =
  values.window === undefined
    ? undefined
    : (JSON.parse(readFileSync(values.window, 'utf8')) as { fromUs: number; toUs: number });

// Self time per node, in microseconds.
const selfUs = new Map<number, number>();
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (window !== undefined && (at < window.fromUs || at > window.toUs)) continue;
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
}
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idleNames = new Set(['(idle)', '(program)', '(garbage collector)']);

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const perFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const k = keyOf(node.callFrame);
  self.set(k, (self.get(k) ?? 0) + us);
  const file = idleNames.has(node.callFrame.functionName) ? node.callFrame.functionName : where(node.callFrame.url);
  perFile.set(file, (perFile.get(file) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const ck = keyOf(byId.get(cur)!.callFrame);
    if (seen.has(ck)) continue;
    seen.add(ck);
    inclusive.set(ck, (inclusive.get(ck) ?? 0) + us);
  }
}

const pct = (us: number): string => `${((100 * us) / totalUs).toFixed(1).padStart(5)} %`;
const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
function print(title: string, m: Map<string, number>, n: number): void {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ${pct(us)}  ${k}`);
}
const idle = self.get(keyOf({ functionName: '(idle)', url: '', lineNumber: -1 })) ?? 0;
console.log(
  `${positionals[0]}${window === undefined ? '' : ' (window only)'}: ${(totalUs / 1e6).toFixed(2)} s sampled, ${(idle / 1e6).toFixed(2)} s idle (${pct(idle).trim()})`,
);
print('Top self time', self, top);
print(
  'Top inclusive time (each function once per stack)',
  new Map([...inclusive].filter(([k]) => !k.startsWith('(root)'))),
  top,
);
print('Self time per file', perFile, top);
