/** ListMultipartUploads: uploads started and neither completed nor aborted, every page. */
import type { OssContext } from './context.js';
import { checkInteger } from '../config.js';
import { OssArgumentError } from '../errors.js';
import { parseListMultipartUploadsResult, type ListedUpload } from '../core/xml.js';

export type { ListedUpload };

/** Options of {@link listMultipartUploads}. */
export interface ListMultipartUploadsOptions {
  /** Only keys starting with this. */
  prefix?: string | undefined;
  /** Uploads per request, 1..1000 (default 1000). */
  pageSize?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Every open upload (optionally under `prefix`), following the key/upload-id markers across pages. */
export async function listMultipartUploads(
  ctx: OssContext,
  opts: ListMultipartUploadsOptions = {},
): Promise<ListedUpload[]> {
  const pageSize = checkInteger(
    'pageSize',
    opts.pageSize ?? ctx.options.limits.maxListPage,
    1,
    ctx.options.limits.maxListPage,
  );
  if (opts.prefix !== undefined && typeof opts.prefix !== 'string')
    throw new OssArgumentError('prefix must be a string', 'prefix');
  const out: ListedUpload[] = [];
  let keyMarker = '';
  let uploadIdMarker = '';
  for (;;) {
    const query: Record<string, string | null> = {
      uploads: null,
      'max-uploads': String(pageSize),
      'encoding-type': 'url',
    };
    if (opts.prefix !== undefined) query['prefix'] = opts.prefix;
    if (keyMarker !== '') query['key-marker'] = keyMarker;
    if (uploadIdMarker !== '') query['upload-id-marker'] = uploadIdMarker;
    const res = await ctx.send({ operation: 'ListMultipartUploads', method: 'GET', query, signal: opts.signal });
    const page = parseListMultipartUploadsResult(await res.text(), true);
    out.push(...page.uploads);
    if (!page.isTruncated || (page.nextKeyMarker === keyMarker && page.nextUploadIdMarker === uploadIdMarker))
      return out;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}
