/**
 * The single-run view (browser JavaScript, part of the page's script), shown for `#run=<dir>`: the
 * run's units by state and provenance, its settings, validation accuracy against iteration with one
 * line per level (optionally smoothed, the early-stop iteration marked) for a chosen trial and
 * condition, a table of every finished unit (fraction remaining, early stop, test accuracy), the
 * per-layer fraction remaining of each level, the first layer's mask per level (MLPs on images: how
 * many hidden units still see each pixel), and every unit's state with the error of failed ones.
 */
export const RUN_SCRIPT = String.raw`
let currentRun = null;
function flattenSettings(value, prefix, out) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenSettings(v, prefix ? prefix + '.' + k : k, out);
  } else out.push([prefix, Array.isArray(value) ? value.map((v) => typeof v === 'object' ? JSON.stringify(v) : String(v)).join(',') : value]);
  return out;
}
const results = () => currentRun.units.map((u) => u.result).filter(Boolean);
const percent = (f) => (100 * f).toFixed(2) + '%';
function table(id, head, body) {
  $(id).innerHTML = '<thead><tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr></thead><tbody>' +
    body.map((cells) => '<tr>' + cells.map((c) => '<td>' + esc(c) + '</td>').join('') + '</tr>').join('') + '</tbody>';
}
function options(id, values, preferred) {
  const select = $(id), current = select.value;
  select.innerHTML = values.map((v) => '<option>' + esc(v) + '</option>').join('');
  const names = values.map(String);
  if (names.includes(current)) select.value = current;
  else if (names.includes(preferred)) select.value = preferred;
}
/** TensorBoard's smoothing: an exponential moving average, debiased at the start. */
function smooth(values, weight) {
  let last = 0;
  return values.map((v, i) => { last = last * weight + (1 - weight) * v; return last / (1 - Math.pow(weight, i + 1)); });
}
async function showRun(dir) {
  document.body.dataset.runReady = 'no';
  currentRun = await api('api/run/' + encodeURIComponent(dir));
  if (!currentRun) {
    $('run-title').textContent = 'No run ' + dir + ' in this runs directory';
    $('run-body').hidden = true;
    document.body.dataset.runReady = 'yes';
    return;
  }
  $('run-body').hidden = false;
  const r = currentRun;
  $('run-title').textContent = r.dir;
  const states = Object.entries(r.states).filter(([, n]) => n > 0).map(([s, n]) => n + ' ' + s).join(', ') || 'nothing started';
  const p = r.provenance;
  $('run-summary').textContent = 'units: ' + states + (r.levels ? ' · levels done: ' + r.levels.done + '/' + r.levels.total : '') +
    ' · created ' + (r.createdAt ?? '?') + ' · threads ' + (p.threads.join(', ') || '?') + ' · ticketlab ' + (p.ticketlab.join(', ') || '?') +
    ' · onnxruntime ' + (p.onnxruntime.join(', ') || '?') + (r.problem ? ' · problem: ' + r.problem : '');
  table('run-settings', ['setting', 'value'], flattenSettings(r.config, '', []));
  const rs = results();
  options('run-condition', [...new Set(rs.map((x) => x.condition))].sort(), 'ticket');
  options('run-trial', [...new Set(rs.map((x) => x.trial))].sort((a, b) => a - b));
  const sorted = [...rs].sort((a, b) => a.trial - b.trial || a.condition.localeCompare(b.condition) || a.level - b.level);
  table('run-levels', ['trial', 'level', 'condition', 'remaining', 'early-stop iteration', 'test acc at early stop', 'best val acc', 'final test acc', 'state', 'seconds'],
    sorted.map((x) => [x.trial, x.level, x.condition, percent(x.fractionRemaining), x.earlyStopIteration, percent(x.testAccuracyAtEarlyStop),
      x.curve.length ? percent(Math.max(...x.curve.map((c) => c.validationAccuracy))) : '', percent(x.finalTestAccuracy), x.state ?? 'trained', fmt(x.wallSeconds)]));
  table('run-units', ['unit', 'state', 'completed', 'threads', 'error'],
    r.units.map((u) => [u.key, u.state, u.completedAt ?? '', u.threads ?? '', u.failure ? u.failure.message + (u.failure.fix ? ' (fix: ' + u.failure.fix + ')' : '') : '']));
  await drawRunCurves();
  document.body.dataset.runReady = 'yes';
}
async function drawRunCurves() {
  const condition = $('run-condition').value, trial = Number($('run-trial').value);
  const chosen = results().filter((x) => x.condition === condition && x.trial === trial).sort((a, b) => a.level - b.level);
  const weight = $('smooth').checked ? Number($('smooth-weight').value) : 0;
  const points = [], stops = [];
  for (const x of chosen) {
    const ys = smooth(x.curve.map((c) => c.validationAccuracy), weight);
    x.curve.forEach((c, i) => points.push({ iteration: c.iteration, accuracy: ys[i], level: x.level }));
    const at = x.curve.findIndex((c) => c.iteration === x.earlyStopIteration);
    if (at >= 0) stops.push({ iteration: x.earlyStopIteration, accuracy: ys[at], level: x.level });
  }
  const color = { field: 'level', type: 'ordinal', title: 'level', scale: { scheme: 'viridis' } };
  await vegaEmbed('#run-curves', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 560, height: 300,
    encoding: { x: { field: 'iteration', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative', title: 'validation accuracy' + (weight ? ' (smoothed ' + weight + ')' : ''), scale: { zero: false } }, color },
    layer: [
      { name: 'curves', data: { values: points }, mark: { type: 'line' }, encoding: { detail: { field: 'level' } } },
      { name: 'stops', data: { values: stops }, mark: { type: 'point', shape: 'diamond', size: 70, filled: true },
        encoding: { tooltip: [{ field: 'level' }, { field: 'iteration', title: 'early stop' }] } },
    ],
  }, { renderer: 'svg', actions: false });
  const layers = chosen.length ? chosen[0].sparsity.map((s) => s.layer) : [];
  table('run-sparsity', ['level', 'overall', ...layers], chosen.map((x) => [x.level, percent(x.fractionRemaining),
    ...layers.map((name) => { const s = x.sparsity.find((l) => l.layer === name); return s ? percent(s.kept / s.total) : ''; })]));
  await drawMasks(condition, trial);
}
/** The first layer's mask per level: the fraction of hidden units still connected to each input pixel. */
async function drawMasks(condition, trial) {
  const masks = currentRun.masks.filter((m) => m.condition === condition && m.trial === trial).sort((a, b) => a.level - b.level);
  $('run-masks-section').hidden = masks.length === 0;
  if (!masks.length) return;
  const cells = [];
  for (const m of masks) m.counts.forEach((n, i) => cells.push({ level: m.level, x: i % m.image[1], y: Math.floor(i / m.image[1]), connected: n / m.units }));
  const axis = { type: 'ordinal', axis: null };
  await vegaEmbed('#run-masks', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: cells },
    facet: { column: { field: 'level', type: 'ordinal', title: masks[0].layer + ' by level' } },
    spec: { width: 112, height: 112, mark: 'rect', encoding: { x: { field: 'x', ...axis }, y: { field: 'y', ...axis },
      color: { field: 'connected', type: 'quantitative', title: 'units connected', scale: { domain: [0, 1], scheme: 'greys' } } } },
  }, { renderer: 'svg', actions: false });
}
`;
