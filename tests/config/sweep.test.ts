// Multirun sweep expansion: cartesian product in Hydra's order, range/choice/glob, quoting.
import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../src/config/index.js';
import { errorOf, REPO_CONFIGS } from './helpers.js';

describe('expandSweep', () => {
  it('cartesian product, first override varying slowest, fixed overrides in every job', () => {
    expect(expandSweep(['a=1,2', 'train.steps=5', 'b=x,y'])).toEqual([
      ['a=1', 'train.steps=5', 'b=x'],
      ['a=1', 'train.steps=5', 'b=y'],
      ['a=2', 'train.steps=5', 'b=x'],
      ['a=2', 'train.steps=5', 'b=y'],
    ]);
    expect(expandSweep(['model.recurrence=S,T,ST', 'seed=1,2,3'])).toHaveLength(9);
    expect(expandSweep([])).toEqual([[]]);
  });

  it('quotes, brackets and braces protect commas', () => {
    expect(expandSweep(["run.name='a,b',c"])).toEqual([["run.name='a,b'"], ['run.name=c']]);
    expect(expandSweep(['run.name="x,y"'])).toEqual([['run.name="x,y"']]);
    expect(expandSweep(['data.size=[64,64],[96,96]'])).toEqual([['data.size=[64,64]'], ['data.size=[96,96]']]);
    expect(expandSweep(['x={a:1,b:2}'])).toEqual([['x={a:1,b:2}']]);
  });

  it('range(start, stop[, step]) excludes stop, like Python; float steps print cleanly', () => {
    expect(expandSweep(['seed=range(1,4)'])).toEqual([['seed=1'], ['seed=2'], ['seed=3']]);
    expect(expandSweep(['seed=range(3)']).map((j) => j[0])).toEqual(['seed=0', 'seed=1', 'seed=2']);
    expect(expandSweep(['train.lr=range(0.1,0.4,0.1)']).map((j) => j[0])).toEqual(['train.lr=0.1', 'train.lr=0.2', 'train.lr=0.3']);
    expect(expandSweep(['k=range(start=5,stop=0,step=-2)']).map((j) => j[0])).toEqual(['k=5', 'k=3', 'k=1']);
    expect(errorOf(() => expandSweep(['k=range(3,1)'])).message).toContain('is empty');
    expect(errorOf(() => expandSweep(['k=range(1,3,0)'])).message).toContain('step must not be 0');
  });

  it('choice(...) and prefixes (+, ++) are kept; deletions are not swept', () => {
    expect(expandSweep(['+x=choice(a,b)'])).toEqual([['+x=a'], ['+x=b']]);
    expect(expandSweep(['++x=1,2', '~y'])).toEqual([
      ['++x=1', '~y'],
      ['++x=2', '~y'],
    ]);
  });

  it('glob(...) picks group options, with exclude', () => {
    const jobs = expandSweep(['encoder=glob(resnet*,exclude=[resnet101,resnet50])'], { configDir: REPO_CONFIGS });
    expect(jobs).toEqual([['encoder=resnet18'], ['encoder=resnet34']]);
    expect(expandSweep(['model=glob(*)'], { configDir: REPO_CONFIGS }).map((j) => j[0])).toEqual([
      'model=base',
      'model=copy_first',
      'model=feature_propagation',
      'model=feature_propagation_zero_shot',
      'model=mobile_prior',
      'model=rvos',
      'model=siammask',
      'model=small',
    ]);
    expect(errorOf(() => expandSweep(['seed=glob(*)'], { configDir: REPO_CONFIGS })).message).toContain("'seed' is not a group");
  });

  it('stray commas are errors', () => {
    expect(errorOf(() => expandSweep(['a=1,,2'])).message).toContain('empty value');
  });
});
