/**
 * `oss-stream/server`: a local OSS-compatible server for tests, demos and benchmarks.
 */
export { OssServer } from './oss-server.js';
export { DEFAULT_SERVER_CREDENTIAL, type ServerCredential, type ServerOptions, type StorageMode } from './options.js';
export { FaultInjector, type FaultAction, type FaultRule } from './faults.js';
export { ServerStats, type OpStats } from './stats.js';
export type { OpName } from './router.js';
export { ServerError } from './server-error.js';
