/** Opens a reader's sequences one by one, applying the reader's on-error policy. */
import { DataError } from '../utils/errors.js';
import type { OnDataError, SkippedVideo, VideoSequence } from './types.js';

/**
 * Runs `open` for every name. With 'raise' the first DataError propagates; with 'skip' bad videos
 * are left out and listed with the error message. Other errors (bugs) always propagate.
 */
export async function openSequences(
  names: string[],
  onError: OnDataError,
  open: (name: string) => Promise<VideoSequence>,
): Promise<{ sequences: VideoSequence[]; skipped: SkippedVideo[] }> {
  const sequences: VideoSequence[] = [];
  const skipped: SkippedVideo[] = [];
  for (const name of names) {
    try {
      sequences.push(await open(name));
    } catch (err) {
      if (onError === 'skip' && err instanceof DataError) skipped.push({ name, reason: err.message });
      else throw err;
    }
  }
  return { sequences, skipped };
}
