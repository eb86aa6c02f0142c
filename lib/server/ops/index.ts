/** The operation table: one handler per {@link OpName}. */
import type { OpContext } from '../context.js';
import type { Reply } from '../respond.js';
import type { OpName } from '../router.js';
import { ServerError } from '../server-error.js';
import { abortMultipartUpload } from './abort-multipart.js';
import { deleteObjectTagging, getObjectAcl, getObjectTagging, putObjectAcl, putObjectTagging } from './acl-tagging.js';
import { appendObject } from './append-object.js';
import { deleteBucket, getBucket, listBuckets, putBucket } from './bucket-ops.js';
import { completeMultipartUpload } from './complete-multipart.js';
import { copyObject, uploadPartCopy } from './copy-object.js';
import { deleteMultipleObjects } from './delete-multiple.js';
import { deleteObject } from './delete-object.js';
import { getObject, getObjectMeta, headObject } from './get-object.js';
import { initiateMultipartUpload } from './initiate-multipart.js';
import { listObjectsV2 } from './list-objects-v2.js';
import { listParts } from './list-parts.js';
import { listMultipartUploads } from './list-uploads.js';
import { postObject } from './post-object.js';
import { putObject } from './put-object.js';
import { getSymlink, putSymlink } from './symlink.js';
import { uploadPart } from './upload-part.js';

/** A request handler. Throws {@link ServerError} for OSS error answers. */
type OpHandler = (ctx: OpContext) => Promise<Reply>;

// Query parameters that sign or modify a request rather than name what it does.
const NOT_SUBRESOURCES = new Set([
  'OSSAccessKeyId',
  'Expires',
  'Signature',
  'security-token',
  'x-oss-signature-version',
  'x-oss-credential',
  'x-oss-date',
  'x-oss-expires',
  'x-oss-signature',
  'x-oss-additional-headers',
  'x-oss-security-token',
]);

/** 501 NotImplemented naming what was asked (`PUT ?live`), for every operation this server does not implement. */
async function unsupported(ctx: OpContext): Promise<Reply> {
  const names = Object.keys(ctx.query).filter((n) => !NOT_SUBRESOURCES.has(n));
  const level =
    ctx.key !== undefined ? 'on an object' : ctx.bucketName === undefined ? 'on the service' : 'on a bucket';
  const what = `${ctx.method} ${level}` + (names.length === 0 ? '' : ` with ?${names.join('&')}`);
  throw new ServerError(501, 'NotImplemented', `${what} is not implemented by the local OSS server.`);
}

/** Handlers by operation name. */
export const OPERATIONS: Readonly<Record<OpName, OpHandler>> = Object.freeze({
  ListBuckets: listBuckets,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucket: getBucket,
  ListMultipartUploads: listMultipartUploads,
  PutObject: putObject,
  AppendObject: appendObject,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  GetObject: getObject,
  HeadObject: headObject,
  GetObjectMeta: getObjectMeta,
  DeleteObject: deleteObject,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  GetObjectTagging: getObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  PutObjectTagging: putObjectTagging,
  CopyObject: copyObject,
  UploadPartCopy: uploadPartCopy,
  DeleteMultipleObjects: deleteMultipleObjects,
  ListObjectsV2: listObjectsV2,
  PutSymlink: putSymlink,
  GetSymlink: getSymlink,
  PostObject: postObject,
  Unsupported: unsupported,
});
