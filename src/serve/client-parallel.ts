/**
 * The parallel-coordinates plot and its brushes (browser JavaScript, part of the page's script).
 * One line per (run, trial, condition) at its deepest level, across the settings that vary and the
 * results; every axis is scaled to [0, 1] (numbers linearly, categories in sorted order). Vega-Lite
 * draws it; the brushes are an SVG layer over it, one strip per axis, placed with the chart's own
 * scales: drag along an axis to select a range (the strip reaches 10 px past each end, so a drag from
 * beyond an end takes the end in), click it to clear that axis. A line is selected when
 * it lies in the range of every brushed axis; the runs table, the count and the accuracy figure follow
 * (visibleRows in ./client-core.ts).
 */
export const PARALLEL_SCRIPT = String.raw`
/** axis -> [low, high]: a range of the axis's position (0 at the bottom, 1 at the top) */
const brushes = {};
let parallel = { lines: [], dims: [], describe: {}, view: null };
const lineKey = (r) => r.run + '/' + r.trial + '/' + r.condition;
// how much to compute, and the trial's own seed (trials repeat a run; they are not a setting of it)
const SKIPPED = ['levels', 'trials', 'controls', 'checkpointEvery', 'seed'];
function selectedLines() {
  const axes = Object.keys(brushes);
  if (!axes.length) return null;
  return new Set(parallel.lines.filter((l) => axes.every((a) => l.position[a] >= brushes[a][0] && l.position[a] <= brushes[a][1])).map((l) => l.key));
}
function clearBrushes() {
  for (const axis of Object.keys(brushes)) delete brushes[axis];
  describeBrushes();
}
function describeBrushes() {
  const ranges = {};
  for (const [axis, [lo, hi]] of Object.entries(brushes)) ranges[axis] = parallel.describe[axis](lo, hi);
  const el = $('brushes');
  el.dataset.ranges = JSON.stringify(ranges);
  el.textContent = Object.entries(ranges).map(([a, r]) => a + ': ' + (r.values ? r.values.join(' | ') : fmt(r.min) + ' – ' + fmt(r.max))).join(' · ');
  $('clear-brushes').hidden = Object.keys(ranges).length === 0;
}
/** Each axis's position function and, for the brush's label, the values a range of positions covers. */
function axisScales(lines, dims) {
  const position = {}, describe = {};
  for (const d of dims) {
    const values = lines.map((r) => r[d]);
    if (values.every((v) => typeof v === 'number')) {
      const lo = Math.min(...values), hi = Math.max(...values);
      position[d] = (v) => hi > lo ? (v - lo) / (hi - lo) : 0.5;
      describe[d] = (a, b) => hi > lo ? { min: lo + a * (hi - lo), max: lo + b * (hi - lo) } : { min: lo, max: hi };
    } else {
      const cats = [...new Set(values.map(String))].sort();
      position[d] = (v) => cats.length > 1 ? cats.indexOf(String(v)) / (cats.length - 1) : 0.5;
      describe[d] = (a, b) => ({ values: cats.filter((c) => { const p = position[d](c); return p >= a && p <= b; }) });
    }
  }
  return { position, describe };
}
async function drawParallel(rows) {
  const last = new Map();
  for (const r of rows) { const k = lineKey(r); if (!last.has(k) || last.get(k).level < r.level) last.set(k, r); }
  const varying = data.settings.filter((s) => !SKIPPED.includes(s) && new Set(rows.map((r) => JSON.stringify(r[s] ?? null))).size > 1);
  const dims = [...varying, 'condition', 'fractionRemaining', 'maxValidationAccuracy'].filter((d, i, a) => a.indexOf(d) === i);
  const { position, describe } = axisScales([...last.values()], dims);
  parallel = { dims, describe, view: null, lines: [...last.values()].map((r) => ({
    key: lineKey(r), row: r, position: Object.fromEntries(dims.map((d) => [d, position[d](r[d])])) })) };
  for (const axis of Object.keys(brushes)) if (!dims.includes(axis)) delete brushes[axis];
  describeBrushes();
  await renderParallel();
}
async function renderParallel() {
  const { dims, lines } = parallel;
  const selected = selectedLines();
  const long = [], labels = new Map();
  lines.forEach((l, id) => {
    for (const d of dims) {
      long.push({ id, axis: d, position: l.position[d], value: fmt(l.row[d]), accuracy: l.row.maxValidationAccuracy, selected: !selected || selected.has(l.key) });
      // numbers are labelled at the ends of their axis only (between them the labels pile up)
      if (typeof l.row[d] !== 'number' || [0, 0.5, 1].includes(l.position[d]))
        labels.set(d + '\u0000' + fmt(l.row[d]), { axis: d, position: l.position[d], value: fmt(l.row[d]) });
    }
  });
  const x = { field: 'axis', type: 'nominal', sort: dims, title: null, axis: { labelAngle: 0, labelLimit: 140 } };
  const y = { field: 'position', type: 'quantitative', axis: null, scale: { domain: [0, 1] } };
  const result = await vegaEmbed('#parallel', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: Math.max(300, 140 * dims.length), height: 260,
    layer: [
      { name: 'context', data: { values: long.filter((p) => !p.selected) }, mark: { type: 'line', color: '#ccc', opacity: 0.5 },
        encoding: { x, y, detail: { field: 'id' } } },
      { name: 'selected', data: { values: long.filter((p) => p.selected) }, mark: { type: 'line', opacity: 0.7 },
        encoding: { x, y, detail: { field: 'id' }, color: { field: 'accuracy', type: 'quantitative', title: 'best val acc' },
          tooltip: [{ field: 'axis' }, { field: 'value' }] } },
      { data: { values: [...labels.values()] }, mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { x, y, text: { field: 'value' } } },
    ],
  }, { renderer: 'svg', actions: false });
  parallel.view = result.view;
  drawBrushLayer();
}
function drawBrushLayer() {
  const view = parallel.view, layer = $('brush-layer'), svg = document.querySelector('#parallel svg');
  if (!view || !svg) return;
  const wrap = $('parallel-wrap').getBoundingClientRect(), box = svg.getBoundingClientRect();
  Object.assign(layer.style, { left: (box.left - wrap.left) + 'px', top: (box.top - wrap.top) + 'px' });
  layer.setAttribute('width', box.width); layer.setAttribute('height', box.height);
  const [ox, oy] = view.origin(), xs = view.scale('x'), ys = view.scale('y'), h = view.height();
  const ns = 'http://www.w3.org/2000/svg';
  layer.innerHTML = '';
  for (const axis of parallel.dims) {
    const cx = ox + xs(axis);
    const handle = document.createElementNS(ns, 'rect');
    Object.entries({ class: 'handle', x: cx - 12, y: oy - 10, width: 24, height: h + 20, 'data-axis': axis }).forEach(([k, v]) => handle.setAttribute(k, v));
    layer.appendChild(handle);
    const band = document.createElementNS(ns, 'rect');
    band.setAttribute('class', 'brush'); band.setAttribute('data-axis', axis);
    band.setAttribute('x', cx - 9); band.setAttribute('width', 18);
    const place = (lo, hi) => { band.setAttribute('y', oy + ys(hi)); band.setAttribute('height', Math.max(1, ys(lo) - ys(hi))); };
    if (brushes[axis]) place(...brushes[axis]); else band.setAttribute('height', 0);
    layer.appendChild(band);
    handle.addEventListener('mousedown', (e) => {
      e.preventDefault();
      const top = layer.getBoundingClientRect().top;
      const at = (ev) => Math.min(h, Math.max(0, ev.clientY - top - oy));
      const start = at(e);
      const range = (ev) => { const a = ys.invert(at(ev)), b = ys.invert(start); return [Math.min(a, b), Math.max(a, b)]; };
      const move = (ev) => place(...range(ev));
      const up = async (ev) => {
        window.removeEventListener('mousemove', move); window.removeEventListener('mouseup', up);
        if (Math.abs(at(ev) - start) < 3) delete brushes[axis]; else brushes[axis] = range(ev);
        document.body.dataset.drawn = 'no';
        describeBrushes();
        await renderParallel();
        await followSelection();
        document.body.dataset.drawn = 'yes';
      };
      window.addEventListener('mousemove', move); window.addEventListener('mouseup', up);
    });
  }
}
`;
