/**
 * The answer of an upload that asked for a callback: 200 with the callback server's body, or 203 CallbackFailed
 * with the object stored.
 */
import type { HttpResponse } from '../core/http.js';
import { parseErrorXml } from '../core/xml.js';
import { OssCallbackError } from '../errors.js';

/**
 * Reads the callback answer. On 203 throws an {@link OssCallbackError} carrying `result` (the object IS stored:
 * don't upload again); otherwise returns the callback server's body.
 */
export async function readCallbackAnswer<R extends { status: number; requestId: string }>(res: HttpResponse, result: R, operation: string): Promise<string> {
  const text = await res.text();
  if (res.status !== 203) return text;
  const body = parseErrorXml(text) ?? {};
  const message = body['Message'] ?? 'the upload callback failed';
  throw new OssCallbackError(
    `${operation}: the object is stored, but its upload callback failed: ${message} (code ${body['Code'] ?? 'CallbackFailed'}, request id ${result.requestId})`,
    { code: body['Code'] ?? 'CallbackFailed', status: 203, requestId: result.requestId, ec: body['EC'] ?? res.headers['x-oss-ec'] },
    result,
    { body, headers: res.headers, operation },
  );
}
