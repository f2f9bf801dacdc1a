/** The run store: canonical identity hashes, atomic files, tensor files, run directories with a lease per unit. */
export { configDifferences, fullConfigHash, HASH_LENGTH, hashConfig, stableStringify } from './hash.js';
export { pidAlive, readJson, removeStaleTempFiles, writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { dtypeOf, loadTensors, readTensorFile, saveTensors } from './tensors.js';
export type { DType, StoredTensor, TypedArray } from './tensors.js';
export { DEFAULT_LEASE_TTL_MS, inspectLease, Lease } from './lease.js';
export type { LeaseInfo, LeaseOptions, LeaseState } from './lease.js';
export { defaultRunsRoot, listRuns, Run, RUN_FORMAT, RunStore } from './run-store.js';
export type { RunMeta, RunSummary, UnitRecord } from './run-store.js';
