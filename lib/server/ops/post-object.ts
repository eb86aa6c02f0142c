/**
 * PostObject: a browser form upload, `POST /` to the bucket with a `multipart/form-data` body whose fields are the
 * object key (`${filename}` is replaced by the file's name), a base64 JSON policy signed V1 (`OSSAccessKeyId`,
 * `Signature`) or V4 (`x-oss-signature-version`, `x-oss-credential`, `x-oss-date`, `x-oss-signature`), creation
 * metadata (`Content-Type`, `x-oss-meta-*`, `x-oss-object-acl`…), `success_action_status` and
 * `success_action_redirect`, and last the file. The signature and the policy are checked when the file part
 * starts, before any byte of it is stored; the policy's `content-length-range` as the bytes arrive.
 */
import { buildPostResponse } from '../../core/xml.js';
import { authenticatePost } from '../auth.js';
import type { BucketState } from '../bucket-registry.js';
import { commitObject, fileAlreadyExists, objectLocation, receive, requireBucket, type OpContext } from '../context.js';
import { FormReader, formBoundary, type FormFields } from '../form-data.js';
import { checkObjectKey } from '../names.js';
import { invalidArgument, metaFromHeaders, receivedObject, storedHeaders, type ObjectMeta } from '../object-record.js';
import { checkPolicy, type LengthRange } from '../post-policy.js';
import type { Reply } from '../respond.js';
import { ServerError } from '../server-error.js';
import type { BlobWriter } from '../storage/store.js';

/** Room for the form's fields and framing around a file of the largest size accepted. */
const FORM_OVERHEAD = 2 * 1024 * 1024;

// Form fields that become the object's creation metadata, as the same-named headers do on PutObject.
const META_FIELDS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'expires',
  'x-oss-object-acl',
  'x-oss-storage-class',
  'x-oss-tagging',
];

/** What the fields decide before the file arrives. */
interface Decision {
  key: string;
  meta: ObjectMeta;
  range: LengthRange | undefined;
  forbid: boolean;
}

/** Handles PostObject. */
export async function postObject(ctx: OpContext): Promise<Reply> {
  const bucket = requireBucket(ctx);
  const boundary = formBoundary(ctx.headers['content-type']);
  const store = ctx.core.store;
  const max = ctx.core.options.limits.maxPutSize;
  let staged: BlobWriter | undefined;
  let decision: Decision | undefined;
  const reader = new FormReader(boundary, (form) => {
    decision = decide(ctx, bucket, form);
    staged = store.createBlob();
    return { stream: staged.stream, maxBytes: Math.min(max, decision.range?.max ?? max) };
  });
  let committed = false;
  try {
    await receive(ctx, reader, max + FORM_OVERHEAD);
    const { form, digest } = reader.result;
    const d = decision!;
    if (d.range !== undefined && digest.size < d.range.min) {
      throw new ServerError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', {
        MinSizeAllowed: String(d.range.min),
      });
    }
    const rec = receivedObject(d.meta, d.key, digest, staged!.blob);
    await commitObject(ctx, bucket, rec, d.forbid);
    committed = digest.size > 0;
    return answer(ctx, bucket.name, d.key, rec.etag, form, storedHeaders(rec));
  } finally {
    if (!committed && staged !== undefined) await store.dropBlob(staged.blob);
  }
}

/** Authenticates the form, checks its policy, and decides the key and metadata (throws to refuse). */
function decide(ctx: OpContext, bucket: BucketState, form: FormFields): Decision {
  const f = form.fields;
  const rawKey = f.get('key');
  if (rawKey === undefined || rawKey === '') throw invalidArgument('key', '', 'The key form field is required.');
  const key = rawKey.split('${filename}').join(form.filename);
  checkObjectKey(key, ctx.core.options.limits.maxKeyBytes);
  const policy = f.get('policy');
  const signed =
    f.has('ossaccesskeyid') || f.has('x-oss-signature-version') || f.has('signature') || f.has('x-oss-signature');
  if (signed && policy === undefined)
    throw invalidArgument('policy', '', 'The policy form field is required in a signed form.');
  const now = new Date();
  if (!ctx.core.options.anonymous) {
    if (!signed || policy === undefined)
      throw new ServerError(403, 'AccessDenied', 'Anonymous access is forbidden for this operation.');
    authenticatePost({ policy, fields: f, now, region: ctx.core.options.region }, ctx.core.options.credentials);
  }
  const range = policy === undefined ? undefined : checkPolicy(policy, { bucket: bucket.name, key, fields: f, now });
  const headers: Record<string, string> = {};
  const contentType = f.get('content-type') ?? form.fileContentType;
  if (contentType !== undefined && contentType !== '') headers['content-type'] = contentType;
  for (const name of META_FIELDS) if (f.has(name)) headers[name] = f.get(name)!;
  for (const [name, value] of f) if (name.startsWith('x-oss-meta-')) headers[name] = value;
  const forbid = (f.get('x-oss-forbid-overwrite') ?? '').toLowerCase() === 'true';
  if (forbid && bucket.objects.has(key)) throw fileAlreadyExists();
  return { key, meta: metaFromHeaders(headers), range, forbid };
}

/** The answer `success_action_redirect` / `success_action_status` ask for: 303, 200, 201 with XML, or 204. */
function answer(
  ctx: OpContext,
  bucket: string,
  key: string,
  etag: string,
  form: FormFields,
  headers: Record<string, string>,
): Reply {
  const redirect = form.fields.get('success_action_redirect');
  if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
    const q = new URLSearchParams({ bucket, key, etag: `"${etag}"` }).toString().replace(/\+/g, '%20');
    return { status: 303, headers: { ...headers, location: `${redirect}${redirect.includes('?') ? '&' : '?'}${q}` } };
  }
  const status = form.fields.get('success_action_status');
  if (status === '200') return { status: 200, headers };
  if (status !== '201') return { status: 204, headers };
  const xml = buildPostResponse({ bucket, location: objectLocation(ctx, bucket, key), key, etag: `"${etag}"` });
  return { status: 201, headers: { ...headers, 'content-type': 'application/xml' }, body: xml };
}
