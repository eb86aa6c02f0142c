/**
 * The listing walk shared by GetBucket and ListMultipartUploads: entries in key order after a marker, filtered by
 * prefix, rolled up into CommonPrefixes at the delimiter, cut at `max` (a common prefix counts as one entry).
 */
import { compareKeys } from './names.js';

/** One page. */
interface Page<T> {
  items: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The key of the last entry or the last common prefix returned: the next marker when truncated. */
  lastKey: string | undefined;
}

/** What to list. */
interface PageQuery<T> {
  keyOf: (t: T) => string;
  prefix: string;
  delimiter: string;
  max: number;
  /** Entries with keys ≤ marker are skipped (and every key under it when it is a common prefix). */
  marker: string;
  /** Extra test for entries whose key equals the marker (ListMultipartUploads' upload-id-marker). */
  includeAtMarker?: (t: T) => boolean;
}

/** Walks `sorted` (in key order) and builds one page. */
export function listPage<T>(sorted: Iterable<T>, q: PageQuery<T>): Page<T> {
  const items: T[] = [];
  const commonPrefixes: string[] = [];
  let lastKey: string | undefined;
  let truncated = false;
  // A marker that is a common prefix (it ends with the delimiter right after the prefix part) hides its subtree.
  const markerIsPrefix =
    q.delimiter !== '' &&
    q.marker.startsWith(q.prefix) &&
    q.marker.endsWith(q.delimiter) &&
    q.marker.indexOf(q.delimiter, q.prefix.length) === q.marker.length - q.delimiter.length;
  for (const entry of sorted) {
    const key = q.keyOf(entry);
    if (q.marker !== '') {
      const c = compareKeys(key, q.marker);
      if (c < 0) continue;
      if (c === 0 && !(q.includeAtMarker?.(entry) ?? false)) continue;
      if (markerIsPrefix && key.startsWith(q.marker)) continue;
    }
    if (!key.startsWith(q.prefix)) continue;
    let rolled: string | undefined;
    if (q.delimiter !== '') {
      const at = key.indexOf(q.delimiter, q.prefix.length);
      if (at >= 0) rolled = key.slice(0, at + q.delimiter.length);
    }
    if (rolled !== undefined && rolled === commonPrefixes[commonPrefixes.length - 1]) continue;
    if (items.length + commonPrefixes.length >= q.max) {
      truncated = true;
      break;
    }
    if (rolled !== undefined) commonPrefixes.push(rolled);
    else items.push(entry);
    lastKey = rolled ?? key;
  }
  return { items, commonPrefixes, truncated, lastKey };
}
