/**
 * The answer of an upload that asked for a callback: 200 with the callback server's body, or 203 CallbackFailed
 * with the object stored.
 */
import type { HttpResponse } from '../core/http.js';
import { parseErrorXml } from '../core/xml.js';
import { OssCallbackError } from '../errors.js';

/**
 * Turns the already-read answer `text` of a callback upload into the callback server's body. On 203 throws an
 * {@link OssCallbackError} carrying `result` (the object IS stored: don't upload again).
 */
export function callbackAnswer<R extends { status: number; requestId: string }>(
  res: HttpResponse,
  text: string,
  result: R,
  operation: string,
): string {
  if (res.status !== 203) return text;
  const body = parseErrorXml(text) ?? {};
  const message = body['Message'] ?? 'the upload callback failed';
  const code = body['Code'] ?? 'CallbackFailed';
  throw new OssCallbackError(
    `${operation}: the object is stored, but its upload callback failed: ` +
      `${message} (code ${code}, request id ${result.requestId})`,
    { code, status: 203, requestId: result.requestId, ec: body['EC'] ?? res.headers['x-oss-ec'] },
    result,
    { body, headers: res.headers, operation },
  );
}
