/**
 * Typed errors a user can cause. Library code throws these; only src/cli decides how to print
 * them and which exit code to use. Every message names the file or config key and the fix.
 */
export class RvosError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad config value, unknown key, missing required value or unknown group option. */
export class ConfigError extends RvosError {}

/** A missing, corrupt or inconsistent data file (frames, annotations, split files, meta.json). */
export class DataError extends RvosError {
  constructor(
    message: string,
    /** The file (or folder) the problem was found in. */
    readonly file?: string,
  ) {
    super(file !== undefined && !message.includes(file) ? `${file}: ${message}` : message);
  }
}

/** A bad result folder or evaluation input. */
export class EvalError extends RvosError {}

/** Training diverged or a run folder is unusable. */
export class TrainingError extends RvosError {}

const NOTES = Symbol.for('rvos.errorNotes');

/**
 * Attaches a sentence of context to any thrown value (as Python's add_note does), e.g. the last
 * good checkpoint when training fails; the command-line boundary prints the notes after the cause.
 */
export function addErrorNote(err: unknown, note: string): void {
  if (typeof err !== 'object' || err === null) return;
  const holder = err as { [NOTES]?: string[] };
  (holder[NOTES] ??= []).push(note);
}

/** The notes attached with {@link addErrorNote}. */
export function errorNotes(err: unknown): string[] {
  if (typeof err !== 'object' || err === null) return [];
  return (err as { [NOTES]?: string[] })[NOTES] ?? [];
}
