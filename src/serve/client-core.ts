/**
 * The dashboard page's main script (plain browser JavaScript, no build step): where the data comes
 * from (the server's JSON endpoints, or the data a static export embeds as window.TICKETLAB_STATIC),
 * the filter by any setting (`key=value`, as `runs table --where`), the runs table with live progress
 * (the sweeps table and the sweep selection, which narrows everything below, are ./client-sweeps.ts),
 * the accuracy-vs-remaining figure, and which view shows (the comparison, or one run: `#run=<dir>`).
 * The parallel-coordinates plot with its brushes is ./client-parallel.ts, the run view ./client-run.ts.
 */
export const CORE_SCRIPT = String.raw`
const STATIC = window.TICKETLAB_STATIC || null;
async function api(path) {
  if (STATIC) {
    if (path === 'api/runs') return STATIC.runs;
    if (path === 'api/sweeps') return STATIC.sweeps || [];
    if (path === 'api/rows') return { rows: STATIC.rows, settings: STATIC.settings };
    const m = /^api\/run\/(.+)$/.exec(path);
    return m ? STATIC.details[decodeURIComponent(m[1])] || null : null;
  }
  const res = await fetch(path);
  return res.ok ? res.json() : null;
}
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (v) => v === null || v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : String(v);
let data = { rows: [], settings: [] };
let runs = [];
const conditions = () => $('filter').value.split(/[\s,]+/).filter(Boolean).map((t) => {
  const m = /^([^=<>!]+)(!=|<=|>=|=|<|>)(.*)$/.exec(t);
  return m ? { column: m[1], op: m[2], value: m[3] } : null;
}).filter(Boolean);
function keep(row) {
  return conditions().every((c) => {
    const cell = row[c.column];
    const numeric = typeof cell === 'number' && c.value !== '' && Number.isFinite(Number(c.value));
    const a = numeric ? cell : String(cell ?? ''); const b = numeric ? Number(c.value) : c.value;
    return c.op === '=' ? a === b : c.op === '!=' ? a !== b : c.op === '<' ? a < b : c.op === '<=' ? a <= b : c.op === '>' ? a > b : a >= b;
  });
}
/** The rows of the selected sweep (./client-sweeps.ts) that meet the filter. */
const filteredRows = () => data.rows.filter((r) => inSweep(r) && keep(r));
/** The rows the figures and the runs table show: the filter's, narrowed by the brushes. */
function visibleRows() {
  const selected = selectedLines();
  return filteredRows().filter((r) => !selected || selected.has(lineKey(r)));
}
function runState(r) {
  if (r.problem) return 'problem';
  if (r.active) return 'running';
  if (r.states.failed) return 'failed';
  if (r.states.diverged) return 'diverged';
  return r.planned !== null && r.done === r.planned ? 'done' : 'incomplete';
}
function renderRuns() {
  const narrowed = conditions().length > 0 || selectedLines() !== null;
  const visible = new Set(visibleRows().map((r) => r.run));
  // a selected sweep's runs, those without a finished unit too (their progress shows)
  const sweep = sweepById(selectedSweep);
  const base = sweep ? runs.filter((r) => sweep.runs.includes(r.dir)) : runs;
  const shown = narrowed ? base.filter((r) => visible.has(r.dir)) : base;
  document.querySelector('#runs tbody').innerHTML = shown.map((r) =>
    '<tr data-run="' + esc(r.dir) + '"><td><a href="#run=' + encodeURIComponent(r.dir) + '">' + esc(r.dir) + '</a></td><td>' +
    r.done + '/' + (r.planned ?? '?') + '</td><td>' + runState(r) + '</td></tr>').join('');
}
async function refreshRuns() {
  const before = runs.reduce((n, r) => n + r.done, 0);
  runs = (await api('api/runs')) || [];
  await refreshSweeps();
  renderRuns();
  // units finished since the last poll: their rows join the figures (live progress)
  if (document.body.dataset.ready === 'yes' && runs.reduce((n, r) => n + r.done, 0) !== before) {
    data = (await api('api/rows')) || data;
    await draw();
  }
}
function drawAccuracy(rows) {
  const group = $('group').value || 'condition';
  return vegaEmbed('#accuracy', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 520, height: 300,
    data: { values: rows.map((r) => ({ remaining: r.fractionRemaining, accuracy: r.maxValidationAccuracy, group: String(r[group]) })) },
    encoding: { x: { field: 'remaining', type: 'quantitative', scale: { type: 'log', reverse: true, nice: false }, title: 'fraction of weights remaining' },
      color: { field: 'group', type: 'nominal', title: group } },
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { aggregate: 'min', field: 'accuracy', type: 'quantitative', title: 'best validation accuracy', scale: { zero: false } }, y2: { aggregate: 'max', field: 'accuracy' } } },
      { mark: { type: 'line', point: true }, encoding: { y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative' } } },
    ],
  }, { renderer: 'svg', actions: false });
}
/** Redraws what follows the brushes: the count, the runs table and the accuracy figure. */
async function followSelection() {
  const rows = visibleRows();
  const total = sweepUnits ? data.rows.filter(inSweep).length : data.rows.length;
  $('count').textContent = rows.length + ' of ' + total + ' units' + (sweepUnits ? ' of sweep ' + sweepById(selectedSweep).name : '');
  renderRuns();
  await drawAccuracy(rows);
}
async function draw() {
  document.body.dataset.drawn = 'no';
  await drawParallel(filteredRows());
  await followSelection();
  document.body.dataset.drawn = 'yes';
}
async function route() {
  const m = /^#run=(.+)$/.exec(location.hash);
  $('overview').hidden = !!m;
  $('run').hidden = !m;
  if (m) await showRun(decodeURIComponent(m[1]));
}
async function load() {
  data = (await api('api/rows')) || { rows: [], settings: [] };
  const select = $('group');
  const current = select.value;
  select.innerHTML = ['condition', 'level', ...data.settings].map((s) => '<option>' + esc(s) + '</option>').join('');
  if (current) select.value = current;
  await refreshRuns();
  await draw();
  await route();
  document.body.dataset.ready = 'yes';
}
`;

/** Runs last, when every part of the script is defined. */
export const START_SCRIPT = String.raw`
$('filter').addEventListener('change', () => { clearBrushes(); draw(); });
$('group').addEventListener('change', () => drawAccuracy(visibleRows()));
$('clear-brushes').addEventListener('click', () => { clearBrushes(); draw(); });
window.addEventListener('hashchange', route);
for (const id of ['run-condition', 'run-trial', 'smooth', 'smooth-weight']) $(id).addEventListener('change', drawRunCurves);
load();
if (!STATIC) setInterval(() => refreshRuns(), 5000);
`;
