/**
 * DeleteMultipleObjects: `POST /?delete` with `<Delete>[<Quiet>]<Object><Key>…</Key></Object>*</Delete>`, at most
 * 1000 keys, `Content-MD5` required (400 MissingArgument without it, as OSS). A missing key counts as deleted, as
 * for DeleteObject. Verbose mode lists every key; quiet mode lists only failures, and since a delete here never
 * fails per key, a quiet answer has an empty body.
 */
import { buildDeleteResult } from '../../core/xml.js';
import { parseDeleteRequest } from '../request-xml.js';
import { checkMd5, encodingType, expectedMd5, readSmall, registry, requireBucket, type OpContext } from '../context.js';
import { checkObjectKey } from '../names.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';
import { createHash } from 'node:crypto';

const MAX_KEYS = 1000;
const MAX_XML = 2 * 1024 * 1024;

/** Handles DeleteMultipleObjects. */
export async function deleteMultipleObjects(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const enc = encodingType(ctx);
  const md5 = expectedMd5(ctx);
  if (md5 === undefined) {
    throw new ServerError(400, 'MissingArgument', 'Missing Some Required Arguments.', { ArgumentName: 'Content-MD5' });
  }
  const body = await readSmall(ctx, MAX_XML);
  checkMd5(md5, { size: body.length, md5: createHash('md5').update(body).digest(), crc64: '0' });
  const { quiet, keys } = parseDeleteRequest(body.toString('utf8'));
  if (keys.length > MAX_KEYS) {
    throw new ServerError(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema: ' +
        `more than ${MAX_KEYS} objects.`,
    );
  }
  for (const key of keys) checkObjectKey(key, ctx.core.options.limits.maxKeyBytes);
  for (const key of keys) {
    await registry(ctx).withKey(bucket.name, key, () => registry(ctx).deleteLocked(bucket, key));
  }
  if (quiet) return { status: 200, headers: {} };
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: buildDeleteResult({ deleted: keys, encodingType: enc }),
  };
}
