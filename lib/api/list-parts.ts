/** ListParts: the parts stored so far for an upload, every page. */
import type { OssContext } from './context.js';
import { checkInteger } from '../config.js';
import { validateObjectKey } from '../core/validate.js';
import { parseListPartsResult, type ListedPart } from '../core/xml.js';
import { OssArgumentError } from '../errors.js';

export type { ListedPart };

/** Options of {@link listParts}. */
export interface ListPartsOptions {
  /** Parts per request, 1..1000 (default 1000). */
  pageSize?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Every part of `uploadId`, ascending, following `NextPartNumberMarker` across pages. */
export async function listParts(
  ctx: OssContext,
  key: string,
  uploadId: string,
  opts: ListPartsOptions = {},
): Promise<ListedPart[]> {
  validateObjectKey(key, ctx.options.limits);
  if (typeof uploadId !== 'string' || uploadId === '')
    throw new OssArgumentError('uploadId must be a non-empty string', 'uploadId');
  const pageSize = checkInteger(
    'pageSize',
    opts.pageSize ?? ctx.options.limits.maxListPage,
    1,
    ctx.options.limits.maxListPage,
  );
  const parts: ListedPart[] = [];
  let marker = 0;
  for (;;) {
    const query: Record<string, string | null> = { uploadId, 'max-parts': String(pageSize), 'encoding-type': 'url' };
    if (marker > 0) query['part-number-marker'] = String(marker);
    const res = await ctx.send({ operation: 'ListParts', method: 'GET', key, query, signal: opts.signal });
    const page = parseListPartsResult(await res.text(), true);
    parts.push(...page.parts);
    if (!page.isTruncated || page.nextPartNumberMarker <= marker) return parts;
    marker = page.nextPartNumberMarker;
  }
}
