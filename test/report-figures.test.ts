// Figures that stand alone: what a reader needs to read one is drawn in it, not only in the caption
// of the page around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curvesSpec, heatmapSpec, type CurveRow } from '../src/report/charts.js';
import { renderSvg } from '../src/report/svg.js';

/** Two levels learning from chance (10%) to ~98%: the first evaluations lie far below the zoomed axis. */
function curveRows(): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const [series, order, speed] of [
    ['100.0%', 100, 300],
    ['21.1%', 21.1, 200],
  ] as const) {
    for (let it = 0; it <= 2000; it += 100) {
      const mean = 98 - 88 * Math.exp(-it / speed);
      rows.push({ panel: 'ticket', series, order, iteration: it, mean, min: mean - 0.3, max: mean + 0.3 });
    }
  }
  return rows;
}

/** Every y coordinate of the drawn lines and points, from the SVG path data. */
function plottedYs(svg: string, role: 'line' | 'symbol'): number[] {
  const group = new RegExp(`<g class="mark-${role} role-mark[^"]*"[^>]*>([\\s\\S]*?)</g>`, 'g');
  const ys: number[] = [];
  for (const [, body] of svg.matchAll(group)) {
    for (const [, d] of body.matchAll(/<path[^>]* d="([^"]+)"/g)) {
      if (role === 'line') {
        for (const [, , y] of d.matchAll(/[ML]\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)) ys.push(Number(y));
      }
    }
    for (const [, y] of body.matchAll(/transform="translate\(-?[\d.]+,(-?[\d.]+)\)"/g)) ys.push(Number(y));
  }
  return ys;
}

test('training curves cut off no evaluation: below a zoomed axis they sit on its floor, marked, and the figure says so', async () => {
  const rows = curveRows();
  const spec = curvesSpec(
    rows,
    { title: 'Test accuracy during training' },
    {
      yTitle: 'test accuracy (%)',
      seriesTitle: '% remaining',
      yMin: 90,
      yMax: 99,
    },
  );
  const svg = await renderSvg(spec);
  const height = 240; // the panel's plot height in curvesSpec
  const lineYs = plottedYs(svg, 'line');
  assert.ok(lineYs.length >= rows.length, `line vertices: ${lineYs.length}`);
  for (const y of lineYs)
    assert.ok(y >= -0.5 && y <= height + 0.5, `a line vertex at y=${y} lies outside the plot`);
  // one ▼ marker per evaluation below 90%, on the floor of the axis
  const below = rows.filter((r) => r.mean < 90).length;
  assert.ok(below >= 4);
  const markers = plottedYs(svg, 'symbol');
  assert.equal(markers.length, below);
  for (const y of markers) assert.equal(y, height);
  assert.match(svg, /▼ on the axis floor: evaluations below 90% \(early in training\), drawn at 90%/);
});

test('compared heat-map panels share one colour scale and one legend', async () => {
  const panel = (row: string, level: number, max: number) => ({
    row,
    title: [row, `level ${level}`],
    imageShape: [4, 4] as const,
    counts: Array.from({ length: 16 }, (_, i) => (i * max) / 15),
    max,
  });
  const panels = [panel('ticket', 1, 300), panel('ticket', 2, 120), panel('random-prune', 2, 60)];
  const spec = heatmapSpec(panels, { title: 'Surviving connections' }, 'units still connected') as {
    vconcat: { hconcat: { encoding: { color: { scale: { domain: number[] } } } }[] }[];
  };
  const domains = spec.vconcat.flatMap((r) => r.hconcat.map((c) => c.encoding.color.scale.domain));
  assert.equal(domains.length, 3);
  for (const d of domains) assert.deepEqual(d, [0, 300]);
  const svg = await renderSvg(spec as never);
  const legends = svg.match(/class="mark-group role-legend"/g) ?? [];
  assert.equal(legends.length, 1, 'one legend for all panels');
  assert.equal((svg.match(/>units still connected</g) ?? []).length, 1);
});
