/** The run store: canonical identity hashes, atomic files, tensor files, run directories with a lease per unit. */
export { configDifferences, fullConfigHash, HASH_LENGTH, hashConfig, stableStringify } from './hash.js';
export { pidAlive, readJson, removeStaleTempFiles, writeFileAtomic, writeJsonAtomic } from './atomic.js';
export {
  CHECKSUM_KEY,
  dtypeOf,
  loadTensors,
  readTensorFile,
  saveTensors,
  TensorFileError,
} from './tensors.js';
export type { DType, StoredTensor, TypedArray } from './tensors.js';
export { DEFAULT_LEASE_TTL_MS, inspectLease, Lease } from './lease.js';
export type { LeaseInfo, LeaseOptions, LeaseState } from './lease.js';
export { defaultRunsRoot, listRuns, Run, RUN_FORMAT, RunStore } from './run-store.js';
export type { RunMeta, RunSummary } from './run-store.js';
export { CHECKPOINT_FILE, FAILED_FILE, RESULT_FILE, UNIT_STATES } from './unit-files.js';
export type { FailureRecord, UnitCheck, UnitRecord, UnitState } from './unit-files.js';
export { findGarbage, removeGarbage, removeRun } from './housekeeping.js';
export type { Garbage } from './housekeeping.js';
