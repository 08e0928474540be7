/** TensorBoard event files, progress display and run folders. */
export { SummaryWriter, type SummaryWriterOptions } from './summary_writer.js';
export { Progress, PROGRESS_FILE, formatDuration, type ProgressOptions, type ProgressStatus, type ProgressStream } from './progress.js';
export { SweepProgress, sweepEta, type SweepProgressOptions } from './sweep_progress.js';
export { createRunDir, createSweepDir, runStamp } from './run_dir.js';
export { computeHistogram, type Histogram } from './histogram.js';
export { crc32c, maskCrc } from './crc32c.js';
export { frameRecord, readRecords } from './tfrecord.js';
