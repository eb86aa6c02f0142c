/** Content-Type guessing from a key or file name, by a maintained table (mime-types), never by hand. */
import mime from 'mime-types';

/** OSS's own default for unknown types. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The Content-Type for `name` (an object key or a file path), or `application/octet-stream`. */
export function contentTypeFor(name: string): string {
  const t = mime.lookup(name);
  if (t === false) return DEFAULT_CONTENT_TYPE;
  // text types get an explicit charset so browsers don't guess
  const cs = mime.charset(t);
  return cs ? `${t}; charset=${cs.toLowerCase()}` : t;
}
