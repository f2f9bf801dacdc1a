/** The run store: canonical config hashes, atomic files, tensor files, resumable run directories. */
export { configDifferences, fullConfigHash, HASH_LENGTH, hashConfig, stableStringify } from './hash.js';
export { pidAlive, readJson, removeStaleTempFiles, writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { dtypeOf, loadTensors, readTensorFile, saveTensors } from './tensors.js';
export type { DType, StoredTensor, TypedArray } from './tensors.js';
export { FileLock, inspectLock } from './lock.js';
export type { LockInfo, LockState } from './lock.js';
export { defaultRunsRoot, listRuns, Run, RUN_FORMAT, RunStore } from './run-store.js';
export type { RunMeta, RunSummary } from './run-store.js';
