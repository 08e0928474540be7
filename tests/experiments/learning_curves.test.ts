// Per-variant learning curves: validation J&F per step, mean over seeds with the seeds' range, drawn as SVG.
import { describe, expect, it } from 'vitest';
import { learningCurves, learningCurveSpec, renderVegaLite } from '../../src/experiments/report/charts.js';

describe('learning curves', () => {
  const points = [
    { variant: 'ST', run: 'ST seed 1', step: 100, value: 0.3 },
    { variant: 'ST', run: 'ST seed 2', step: 100, value: 0.5 },
    { variant: 'ST', run: 'ST seed 3', step: 100, value: 0.4 },
    { variant: 'ST', run: 'ST seed 1', step: 200, value: 0.6 },
    { variant: 'S', run: 'S seed 1', step: 100, value: NaN },
    { variant: 'S', run: 'S seed 1', step: 200, value: 0.2 },
  ];

  it('groups runs by variant and step: mean, lowest, highest, seeds; NaN left out', () => {
    const curves = learningCurves(points);
    expect(curves).toHaveLength(3);
    const [a, b, c] = curves;
    expect(a).toMatchObject({ variant: 'ST', step: 100, lo: 0.3, hi: 0.5, seeds: 3 });
    expect(a!.mean).toBeCloseTo(0.4, 12);
    expect(b).toEqual({ variant: 'ST', step: 200, mean: 0.6, lo: 0.6, hi: 0.6, seeds: 1 });
    expect(c).toEqual({ variant: 'S', step: 200, mean: 0.2, lo: 0.2, hi: 0.2, seeds: 1 });
  });

  it('renders a band and a line per variant', async () => {
    const svg = await renderVegaLite(learningCurveSpec(learningCurves(points), 'curves', 'J&F'));
    expect(svg.match(/class="mark-area role-mark/g)).toHaveLength(2); // ST and S
    expect(svg).toContain('mark-line');
    expect(svg).toContain('>curves<');
  });
});
