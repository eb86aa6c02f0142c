/**
 * `Range: bytes=…` as OSS reads it: one range, `a-b`, `a-` or `-n`. An unparsable or unsatisfiable range makes
 * OSS return the whole object with 200, unless `x-oss-range-behavior: standard` asks for 416 on ranges that start
 * past the end.
 */

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Result of reading a Range header against an object of `size` bytes. */
type RangeDecision = { kind: 'whole' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/** Decides how to answer `header` for an object of `size` bytes. */
export function decideRange(header: string | undefined, size: number, standard: boolean): RangeDecision {
  if (header === undefined) return { kind: 'whole' };
  // OSS serves one range only.
  if (header.includes(',')) return standard ? { kind: 'unsatisfiable' } : { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return { kind: 'whole' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'whole' };
  if (a === '') {
    // suffix range: the last n bytes
    const n = Number(b);
    if (n === 0) return standard ? { kind: 'unsatisfiable' } : { kind: 'whole' };
    if (size === 0) return standard ? { kind: 'unsatisfiable' } : { kind: 'whole' };
    return { kind: 'partial', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(a);
  let end = b === '' ? size - 1 : Number(b);
  if (start >= size) return standard ? { kind: 'unsatisfiable' } : { kind: 'whole' };
  if (end < start) return { kind: 'whole' };
  if (end >= size) {
    // OSS's legacy behaviour answers 200 whole for an end past the object; standard behaviour clamps.
    if (!standard) return { kind: 'whole' };
    end = size - 1;
  }
  return { kind: 'partial', range: { start, end } };
}
