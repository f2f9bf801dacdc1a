/**
 * The sweeps table and the sweep selection (browser JavaScript, part of the page's script). Each
 * sweep that was run (its manifest) is a row with its units done / running / failed / total, polled
 * with the runs. A click on a sweep selects it: the rows the figures draw and the runs table keep
 * only the sweep's own units (a run shared with a larger sweep keeps only this sweep's levels); a
 * click on it again, or on "show all runs", clears the selection. The selection is body[data-sweep].
 */
export const SWEEPS_SCRIPT = String.raw`
let sweeps = [];
let selectedSweep = null;
let sweepUnits = null;
const pad2 = (n) => String(n).padStart(2, '0');
/** The row's unit as the sweep manifests name it: <run dir>/trial-T/level-LL/<condition>. */
const unitOf = (r) => r.run + '/trial-' + r.trial + '/level-' + pad2(r.level) + '/' + r.condition;
const inSweep = (r) => !sweepUnits || sweepUnits.has(unitOf(r));
const sweepById = (id) => sweeps.find((s) => s.id === id) || null;
function renderSweeps() {
  $('sweeps-section').hidden = sweeps.length === 0;
  document.querySelector('#sweeps tbody').innerHTML = sweeps.map((s) => {
    const c = s.counts;
    return '<tr data-sweep="' + esc(s.id) + '"' + (s.id === selectedSweep ? ' class="selected" aria-selected="true"' : '') +
      ' title="' + esc(s.source) + '"><td><button class="link">' + esc(s.name) + '</button></td><td>' + s.runs.length +
      '</td><td class="done">' + c.done + '</td><td class="running">' + c.running + '</td><td class="failed">' + c.failed +
      '</td><td class="total">' + c.total + '</td><td class="state">' + esc(s.state) + '</td><td>' + esc(s.startedAt.replace('T', ' ').slice(0, 19)) +
      '</td><td>' + esc(s.finishedAt ? s.finishedAt.replace('T', ' ').slice(0, 19) : '') + '</td></tr>';
  }).join('');
  $('all-runs').hidden = !selectedSweep;
}
async function refreshSweeps() {
  sweeps = (await api('api/sweeps')) || [];
  if (selectedSweep && !sweepById(selectedSweep)) selectSweep(null, false);
  renderSweeps();
}
/** Selects sweep id (null: every run) and redraws what it narrows. */
async function selectSweep(id, redraw = true) {
  selectedSweep = id;
  const s = sweepById(id);
  sweepUnits = s ? new Set(s.units) : null;
  document.body.dataset.sweep = s ? s.id : '';
  renderSweeps();
  if (!redraw) return;
  clearBrushes();
  await draw();
}
`;

/** Runs last, with the page's other listeners. */
export const SWEEPS_START_SCRIPT = String.raw`
document.querySelector('#sweeps tbody').addEventListener('click', (e) => {
  const tr = e.target.closest('tr[data-sweep]');
  if (!tr) return;
  e.preventDefault();
  selectSweep(tr.dataset.sweep === selectedSweep ? null : tr.dataset.sweep);
});
$('all-runs').addEventListener('click', (e) => { e.preventDefault(); selectSweep(null); });
`;
