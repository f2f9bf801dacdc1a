/**
 * The dashboard page: runs with live progress (polled), a filter by any setting (`key=value`, as
 * `runs table --where`), a parallel-coordinates plot of the last level of each run, trial and
 * condition (settings that vary → best validation accuracy), and accuracy against the fraction of
 * weights remaining grouped by any setting (mean line, min–max band over trials), drawn with
 * vega-embed. Plain script, no build step.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ticketlab runs</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; font-variant-numeric: tabular-nums; }
input { width: 28em; padding: 3px; } select { padding: 2px; }
.figure { margin: 1em 0 2em; }
</style>
<script src="/vendor/vega.js"></script><script src="/vendor/vega-lite.js"></script><script src="/vendor/vega-embed.js"></script>
</head><body>
<h1>ticketlab runs</h1>
<p><label>Filter: <input id="filter" placeholder="pruning.strategy=random level>=1"></label>
<label>Group by: <select id="group"></select></label> <span id="count"></span></p>
<table id="runs"><thead><tr><th>run</th><th>units</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Parallel coordinates (last level of each run, trial and condition)</h2>
<div id="parallel" class="figure"></div>
<h2>Best validation accuracy vs weights remaining</h2>
<div id="accuracy" class="figure"></div>
<script>
let data = { rows: [], settings: [] };
const conditions = () => document.getElementById('filter').value.split(/[\\s,]+/).filter(Boolean).map((t) => {
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
const varying = (rows) => data.settings.filter((s) => !['levels', 'trials', 'controls', 'checkpointEvery'].includes(s)
  && new Set(rows.map((r) => JSON.stringify(r[s] ?? null))).size > 1);
async function refreshRuns() {
  const runs = await (await fetch('/api/runs')).json();
  const visible = new Set(data.rows.filter(keep).map((r) => r.run));
  const filtered = conditions().length ? runs.filter((r) => visible.has(r.name + '-' + r.hash)) : runs;
  document.querySelector('#runs tbody').innerHTML = filtered.map((r) =>
    '<tr><td>' + r.name + '-' + r.hash + '</td><td>' + r.done + '/' + (r.planned ?? '?') + '</td><td>' +
    (r.problem ? 'problem' : r.active ? 'running' : r.done === r.planned ? 'done' : 'incomplete') + '</td></tr>').join('');
}
function draw() {
  const rows = data.rows.filter(keep);
  document.getElementById('count').textContent = rows.length + ' of ' + data.rows.length + ' units';
  const group = document.getElementById('group').value || 'condition';
  // parallel coordinates: the deepest level of each (run, trial, condition)
  const last = new Map();
  for (const r of rows) { const k = r.run + '/' + r.trial + '/' + r.condition; if (!last.has(k) || last.get(k).level < r.level) last.set(k, r); }
  const dims = [...varying(rows), 'condition', 'fractionRemaining', 'maxValidationAccuracy'].filter((d, i, a) => a.indexOf(d) === i);
  const long = [];
  let id = 0;
  const scale = {};
  for (const d of dims) {
    const values = [...last.values()].map((r) => r[d]);
    if (values.every((v) => typeof v === 'number')) { const lo = Math.min(...values), hi = Math.max(...values); scale[d] = (v) => hi > lo ? (v - lo) / (hi - lo) : 0.5; }
    else { const cats = [...new Set(values.map(String))].sort(); scale[d] = (v) => cats.length > 1 ? cats.indexOf(String(v)) / (cats.length - 1) : 0.5; }
  }
  for (const r of last.values()) { id++; for (const d of dims) long.push({ id, axis: d, position: scale[d](r[d]), value: String(r[d]), accuracy: r.maxValidationAccuracy }); }
  vegaEmbed('#parallel', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: Math.max(300, 140 * dims.length), height: 260,
    data: { values: long },
    layer: [
      { mark: { type: 'line', opacity: 0.6 }, encoding: { x: { field: 'axis', type: 'nominal', sort: dims, title: null },
        y: { field: 'position', type: 'quantitative', axis: null }, detail: { field: 'id' },
        color: { field: 'accuracy', type: 'quantitative', title: 'best val acc' }, tooltip: [{ field: 'axis' }, { field: 'value' }] } },
      { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { x: { field: 'axis', type: 'nominal', sort: dims }, y: { field: 'position', type: 'quantitative' }, text: { field: 'value' } } },
    ],
  }, { renderer: 'svg', actions: false });
  vegaEmbed('#accuracy', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 520, height: 300,
    data: { values: rows.map((r) => ({ remaining: r.fractionRemaining, accuracy: r.maxValidationAccuracy, group: String(r[group]) })) },
    encoding: { x: { field: 'remaining', type: 'quantitative', scale: { type: 'log', reverse: true }, title: 'fraction of weights remaining' },
      color: { field: 'group', type: 'nominal', title: group } },
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { aggregate: 'min', field: 'accuracy', type: 'quantitative', title: 'best validation accuracy', scale: { zero: false } }, y2: { aggregate: 'max', field: 'accuracy' } } },
      { mark: { type: 'line', point: true }, encoding: { y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative' } } },
    ],
  }, { renderer: 'svg', actions: false });
}
async function load() {
  data = await (await fetch('/api/rows')).json();
  const select = document.getElementById('group');
  const current = select.value;
  select.innerHTML = ['condition', 'level', ...data.settings].map((s) => '<option>' + s + '</option>').join('');
  if (current) select.value = current;
  draw();
  await refreshRuns();
  document.body.dataset.ready = 'yes';
}
document.getElementById('filter').addEventListener('change', () => { draw(); refreshRuns(); });
document.getElementById('group').addEventListener('change', draw);
load();
setInterval(() => refreshRuns(), 5000);
</script></body></html>`;
}
