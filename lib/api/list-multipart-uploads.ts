/** ListMultipartUploads: uploads started and neither completed nor aborted, every page. */
import type { OssContext } from './context.js';
import { parseListMultipartUploadsResult, type ListedUpload } from '../core/xml.js';

export type { ListedUpload };

/** Options of {@link listMultipartUploads}. */
export interface ListMultipartUploadsOptions {
  /** Only keys starting with this. */
  prefix?: string | undefined;
  pageSize?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Every open upload (optionally under `prefix`), following the key/upload-id markers across pages. */
export async function listMultipartUploads(ctx: OssContext, opts: ListMultipartUploadsOptions = {}): Promise<ListedUpload[]> {
  const out: ListedUpload[] = [];
  let keyMarker = '';
  let uploadIdMarker = '';
  for (;;) {
    const query: Record<string, string | null> = {
      uploads: null,
      'max-uploads': String(opts.pageSize ?? ctx.options.limits.maxListPage),
      'encoding-type': 'url',
    };
    if (opts.prefix !== undefined) query['prefix'] = opts.prefix;
    if (keyMarker !== '') query['key-marker'] = keyMarker;
    if (uploadIdMarker !== '') query['upload-id-marker'] = uploadIdMarker;
    const res = await ctx.send({ operation: 'ListMultipartUploads', method: 'GET', query, signal: opts.signal });
    const page = parseListMultipartUploadsResult(await res.text(), true);
    out.push(...page.uploads);
    if (!page.isTruncated || (page.nextKeyMarker === keyMarker && page.nextUploadIdMarker === uploadIdMarker)) return out;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}
