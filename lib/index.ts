/**
 * oss-stream: upload anything a Node.js program can read into Alibaba Cloud OSS.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export { LIMITS, type ClientOptions, type Concurrency, type OssLimits } from './config.js';
export {
  Auth,
  StsAuth,
  ProviderAuth,
  Credentials,
  authFromEnv,
  type CredentialsProvider,
  type ProvidedCredentials,
  type ProviderAuthOptions,
} from './core/credentials.js';
export { crc64, crc64Combine, crc64Equal, crc64Kernel, Crc64, Crc64Stream } from './core/crc64.js';
export { FileSlice } from './core/file-slice.js';
export type { UploadCallback, CallbackVars } from './core/callback.js';
export { RETRY_CHANNEL, type RetryEvent } from './core/http.js';
export { determinePartSize } from './parts/part-size.js';
export { releasePartBuffers } from './parts/buffer-pool.js';
export { Bucket, type SignableMethod } from './bucket.js';
export type { UploadData } from './api/body.js';
export type { UploadHeaderOptions } from './api/upload-headers.js';
export type { OssResult } from './api/result.js';
export type { ProgressCallback } from './core/progress.js';
export type { PutObjectOptions, PutObjectResult } from './api/put-object.js';
export type { AppendObjectOptions, AppendObjectResult } from './api/append-object.js';
export type { InitiateMultipartUploadOptions, InitiateMultipartUploadResult } from './api/initiate-multipart-upload.js';
export type { UploadPartOptions, UploadPartResult } from './api/upload-part.js';
export type {
  CompletedPart,
  CompleteMultipartUploadOptions,
  CompleteMultipartUploadResult,
} from './api/complete-multipart-upload.js';
export type { ListedPart, ListPartsOptions } from './api/list-parts.js';
export type { ListedUpload, ListMultipartUploadsOptions } from './api/list-multipart-uploads.js';
export type { HeadObjectResult } from './api/head-object.js';
export type { GetObjectOptions, GetObjectResult } from './api/get-object.js';
export { MultipartWritable } from './sinks/multipart-writable.js';
export type { MultipartResult, UploadedPart } from './uploads/multipart-result.js';
export { createUploadStream } from './sinks/upload-stream.js';
export type { SinkOptions } from './sinks/sink-options.js';
export { createPutStream, PutStream, type PutStreamOptions } from './sinks/put-stream.js';
export {
  createAppendStream,
  AppendStream,
  type AppendStreamOptions,
  type AppendStreamResult,
} from './sinks/append-stream.js';
export {
  resumableUpload,
  type ResumableUploadOptions,
  type ResumableUploadResult,
} from './resumable/resumable-upload.js';
export { ResumableStore, type ResumableStoreOptions, type CheckpointStore } from './uploads/resumable-store.js';
export { abandonResumable, type AbandonResumableOptions } from './resumable/abandon-resumable.js';
export type { CheckpointRecord, CheckpointPart } from './uploads/checkpoint-record.js';
export type { StreamResumeOptions } from './sinks/stream-resume.js';
export { createLogSink, LogSink, type LogSinkOptions, type LogSinkResult } from './logs/log-sink.js';
export { KeyTemplate, type KeyTemplateOptions } from './logs/key-template.js';
export type { RolledObject, FailedObject, RollReason, AppendTarget } from './logs/object-roller.js';
