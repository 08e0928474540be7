import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { usage } from '../src/cli/index.js';

describe('package smoke', () => {
  it('runs on the backend the setup chose', () => {
    expect(tf.getBackend()).toBe(process.env.RVOS_BACKEND ?? 'wasm');
  });
  it('lists the backend command in usage', () => {
    expect(usage()).toMatch(/backend\s+initialise/);
  });
});
