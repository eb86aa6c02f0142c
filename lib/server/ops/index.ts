/** The operation table: one handler per {@link OpName}. */
import type { OpContext } from '../context.js';
import type { Reply } from '../respond.js';
import type { OpName } from '../router.js';
import { ServerError } from '../server-error.js';
import { abortMultipartUpload } from './abort-multipart.js';
import { deleteObjectTagging, getObjectAcl, getObjectTagging, putObjectAcl } from './acl-tagging.js';
import { appendObject } from './append-object.js';
import { deleteBucket, getBucket, listBuckets, putBucket } from './bucket-ops.js';
import { completeMultipartUpload } from './complete-multipart.js';
import { deleteObject } from './delete-object.js';
import { getObject, getObjectMeta, headObject } from './get-object.js';
import { initiateMultipartUpload } from './initiate-multipart.js';
import { listParts } from './list-parts.js';
import { listMultipartUploads } from './list-uploads.js';
import { putObject } from './put-object.js';
import { uploadPart } from './upload-part.js';

/** A request handler. Throws {@link ServerError} for OSS error answers. */
export type OpHandler = (ctx: OpContext) => Promise<Reply>;

async function unsupported(ctx: OpContext): Promise<Reply> {
  throw new ServerError(501, 'NotImplemented', `${ctx.method} with these sub-resources is not implemented by the local OSS server.`);
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
  Unsupported: unsupported,
});
