/**
 * Vega-Lite charts rendered to SVG in Node (no browser): the notebooks display the SVG with
 * tslab.display.svg, so the executed notebook carries the plot itself.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** Renders a Vega-Lite spec (inline data) to an SVG string. */
export async function vegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
