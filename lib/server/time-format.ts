/**
 * Times as OSS writes them. XML dates (`LastModified`, `Initiated`, `CreationDate`) are ISO 8601 with the
 * milliseconds always `.000` (`2026-12-05T17:05:34.000Z`): OSS keeps second precision, and oss2 parses exactly that
 * form (`%Y-%m-%dT%H:%M:%S.000Z`), so a real millisecond value makes its listings and PartIterator raise.
 */

/** `2026-12-05T17:05:34.000Z` for `ms` milliseconds since the epoch (milliseconds dropped, not rounded). */
export function xmlTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}
