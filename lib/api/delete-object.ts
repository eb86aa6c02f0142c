/** DeleteObject: removes a key (succeeds for a missing key, as OSS does). */
import type { OssContext } from './context.js';
import { baseResult, type OssResult } from './result.js';
import { validateObjectKey } from '../core/validate.js';

/** Deletes `key`. */
export async function deleteObject(
  ctx: OssContext,
  key: string,
  opts: { signal?: AbortSignal | undefined } = {},
): Promise<OssResult> {
  validateObjectKey(key, ctx.options.limits);
  const res = await ctx.send({ operation: 'DeleteObject', method: 'DELETE', key, signal: opts.signal });
  await res.dump();
  return baseResult(res);
}
