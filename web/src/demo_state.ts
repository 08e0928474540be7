/** What the page exposes as `window.rvosDemo` (read by tests/browser and bench/browser). */
export type DemoPhase = 'loading' | 'ready' | 'running' | 'done' | 'error';

export interface DemoState {
  state: DemoPhase;
  /** The tfjs backend running. */
  backend: string;
  /** Frames segmented in the current or last run. */
  frames: number;
  /** Frames per second over about the last 10 frames. */
  fps: number;
  /** The message shown on the page. */
  message: string;
  /** Mean milliseconds per frame of the last run: reading the frame, the model step, drawing. */
  timings: { read: number; step: number; draw: number } | null;
  /** Live tensors before and after the last run (equal when nothing leaks). */
  tensors: { before: number; after: number } | null;
}
