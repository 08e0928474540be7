/** TensorBoard event files, progress display and run folders. */
export { eventStep, SummaryWriter, trimEventFiles, type SummaryWriterOptions } from './summary_writer.js';
export { Progress, PROGRESS_FILE, formatDuration, type ProgressOptions, type ProgressStatus, type ProgressStream } from './progress.js';
export { SweepProgress, sweepEta, type SweepProgressOptions } from './sweep_progress.js';
export {
  checkSweepDir,
  clearRunOutputs,
  createRunDir,
  createSweepDir,
  decideRunStart,
  runDirState,
  runStamp,
  RUN_OUTPUTS,
  type RunDirPolicy,
  type RunDirState,
  type RunStart,
} from './run_dir.js';
export { acquireRunLock, activeLock, describeLock, lockIsStale, LOCK_FILE, type LockInfo, type RunLock } from './run_lock.js';
export { computeHistogram, type Histogram } from './histogram.js';
export { crc32c, maskCrc } from './crc32c.js';
export { frameRecord, readRecords } from './tfrecord.js';
