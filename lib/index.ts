/**
 * oss-stream: upload anything a Node.js program can read into Alibaba Cloud OSS.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export { DEFAULTS, LIMITS, resolveClientOptions, type ClientOptions, type OssLimits, type ResolvedClientOptions } from './config.js';
