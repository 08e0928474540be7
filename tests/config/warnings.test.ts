// Valid settings that are probably not what was meant give one line saying what will happen.
import { describe, expect, it } from 'vitest';
import { composeConfig, configWarnings } from '../../src/config/index.js';

const warningsFor = (overrides: string[]) => configWarnings(composeConfig({ configDir: 'configs', overrides: ['data=synthetic', ...overrides] }).config);

describe('configWarnings', () => {
  it('data.max_objects above model.slots: objects beyond the slots are dropped, said in one line', () => {
    expect(warningsFor(['data.max_objects=5', 'model.slots=3'])).toEqual([
      'data.max_objects=5 is above model.slots=3: objects with ids above 3 are dropped in training and never predicted; raise model.slots to 5 (or lower data.max_objects) to keep them',
    ]);
    // model.slots defaults to data.max_objects; more slots than objects is fine.
    expect(warningsFor(['data.max_objects=5'])).toEqual([]);
    expect(warningsFor(['data.max_objects=2', 'model.slots=3'])).toEqual([]);
  });
});
