// Backend selection: explicit preference, RVOS_BACKEND, the native binding's absence, bad input.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseBackendPreference } from '../../src/backend/index.js';
import { ConfigError } from '../../src/utils/errors.js';

const savedEnv = process.env.RVOS_BACKEND;

afterEach(() => {
  if (savedEnv === undefined) delete process.env.RVOS_BACKEND;
  else process.env.RVOS_BACKEND = savedEnv;
});

afterAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('initBackend', () => {
  it("initBackend('cpu') runs the cpu backend", async () => {
    const report = await initBackend('cpu', { quiet: true });
    expect(report).toMatchObject({ backend: 'cpu', source: 'argument', reason: 'requested' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it("initBackend('wasm') runs wasm with the training kernels registered", async () => {
    const report = await initBackend('wasm', { quiet: true });
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm')).toBeDefined();
  });

  it('respects RVOS_BACKEND when no preference is passed', async () => {
    process.env.RVOS_BACKEND = 'cpu';
    const report = await initBackend(undefined, { quiet: true });
    expect(report).toMatchObject({ backend: 'cpu', source: 'RVOS_BACKEND' });
    process.env.RVOS_BACKEND = 'wasm';
    expect(await initBackend(undefined, { quiet: true })).toMatchObject({ backend: 'wasm', source: 'RVOS_BACKEND' });
  });

  it('an explicit preference wins over RVOS_BACKEND', async () => {
    process.env.RVOS_BACKEND = 'wasm';
    expect((await initBackend('cpu', { quiet: true })).backend).toBe('cpu');
  });

  it("'auto' without a native binding picks wasm and says why", async () => {
    delete process.env.RVOS_BACKEND;
    await initBackend('cpu', { quiet: true });
    const lines: string[] = [];
    const report = await initBackend(undefined, { log: (l) => lines.push(l) });
    expect(report).toMatchObject({ backend: 'wasm', source: 'default' });
    expect(report.reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/backend: wasm/);
  });

  it("'tensorflow' without @tensorflow/tfjs-node throws a ConfigError that says how to install it", async () => {
    const before = tf.getBackend();
    const attempt = initBackend('tensorflow', { quiet: true });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(initBackend('tensorflow', { quiet: true })).rejects.toThrow(/npm install @tensorflow\/tfjs-node/);
    expect(tf.getBackend()).toBe(before);
  });

  it('a bad preference string is a ConfigError naming its source', async () => {
    process.env.RVOS_BACKEND = 'gpu';
    await expect(initBackend(undefined, { quiet: true })).rejects.toThrow(ConfigError);
    await expect(initBackend(undefined, { quiet: true })).rejects.toThrow(/RVOS_BACKEND: unknown backend 'gpu'/);
    expect(() => parseBackendPreference('webgl', '--backend')).toThrow(/--backend: unknown backend 'webgl'; use one of auto \| tensorflow \| wasm \| cpu/);
    expect(parseBackendPreference('cpu', '--backend')).toBe('cpu');
  });
});
