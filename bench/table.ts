/** A benchmark's result: one table, printed side by side so the ratios are from one run. */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string;
}

const cell = (v: string | number): string =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v;

/** Formats a table as aligned text (stdout) or as a Markdown table (RESULTS.md). */
export function formatTable(t: BenchTable, style: 'text' | 'markdown' = 'text'): string {
  const rows = t.rows.map((r) => r.map(cell));
  if (style === 'markdown') {
    return [
      `| ${t.columns.join(' | ')} |`,
      `|${t.columns.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
  }
  const widths = t.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [t.title, line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
