/**
 * The dashboard page: the comparison view (sweeps and runs with live progress, a sweep selection, a filter by any setting, the
 * parallel-coordinates plot with brushes, accuracy against the fraction of weights remaining grouped
 * by any setting) and the single-run view (`#run=<dir>`), drawn with vega-embed. Plain script, no
 * build step; its parts are ./client-*.ts. Every address is relative, so the same page works served
 * (`ticketlab serve`) and as a static export opened from file:// (which adds data.js, its data).
 */
import { CORE_SCRIPT, START_SCRIPT } from './client-core.js';
import { PARALLEL_SCRIPT } from './client-parallel.js';
import { RUN_SCRIPT } from './client-run.js';
import { SWEEPS_SCRIPT, SWEEPS_START_SCRIPT } from './client-sweeps.js';

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; font-variant-numeric: tabular-nums; }
input#filter { width: 28em; padding: 3px; } select { padding: 2px; }
.figure { margin: 1em 0 2em; }
#parallel-wrap { position: relative; display: inline-block; }
#brush-layer { position: absolute; pointer-events: none; }
#brush-layer .handle { fill: transparent; pointer-events: all; cursor: ns-resize; }
#brush-layer .handle:hover { fill: rgba(70, 130, 180, 0.08); }
#brush-layer .brush { fill: rgba(70, 130, 180, 0.25); stroke: steelblue; pointer-events: none; }
#brushes { color: #555; }
#sweeps tr.selected { background: #e8f0fa; font-weight: 600; }
button.link { background: none; border: none; padding: 0; color: #0645ad; text-decoration: underline; cursor: pointer; font: inherit; }
.columns { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
`;

export function dashboardPage(options: { exported?: boolean } = {}): string {
  const vendor = ['vega', 'vega-lite', 'vega-embed'].map((f) => `<script src="vendor/${f}.js"></script>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ticketlab runs</title>
<style>${STYLE}</style>
${vendor.join('')}${options.exported ? '<script src="data.js"></script>' : ''}
</head><body>
<section id="overview">
<h1>ticketlab runs</h1>
<p><label>Filter: <input id="filter" placeholder="pruning.strategy=random level>=1"></label>
<label>Group by: <select id="group"></select></label> <span id="count"></span></p>
<div id="sweeps-section" hidden><h2>Sweeps</h2>
<p>A click on a sweep shows only its runs and units below; a second click shows every run again.</p>
<table id="sweeps"><thead><tr><th>sweep</th><th>runs</th><th>done</th><th>running</th><th>failed</th><th>units</th><th>state</th><th>last started</th><th>last finished</th></tr></thead><tbody></tbody></table>
<p><button id="all-runs" hidden>show all runs</button></p>
<h2>Runs</h2></div>
<table id="runs"><thead><tr><th>run</th><th>units</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Parallel coordinates (last level of each run, trial and condition)</h2>
<p>Drag along an axis to select a range; click an axis to clear its range.
<span id="brushes"></span> <button id="clear-brushes" hidden>clear selection</button></p>
<div id="parallel-wrap" class="figure"><div id="parallel"></div><svg id="brush-layer"></svg></div>
<h2>Best validation accuracy vs weights remaining</h2>
<div id="accuracy" class="figure"></div>
</section>
<section id="run" hidden>
<p><a href="#">← all runs</a></p>
<h1 id="run-title"></h1>
<div id="run-body">
<p id="run-summary"></p>
<h2>Validation accuracy</h2>
<p><label>Condition: <select id="run-condition"></select></label> <label>Trial: <select id="run-trial"></select></label>
<label><input type="checkbox" id="smooth"> smoothed</label>
<label>weight <input type="number" id="smooth-weight" min="0" max="0.99" step="0.05" value="0.6" style="width:4em"></label>
(diamonds: early stop, the iteration of minimum validation loss)</p>
<div id="run-curves" class="figure"></div>
<h2>Weights remaining per layer</h2>
<table id="run-sparsity"></table>
<div id="run-masks-section"><h2>First-layer mask per level</h2>
<p>How many hidden units still connect to each input pixel (white: none, black: all).</p>
<div id="run-masks" class="figure"></div></div>
<h2>Levels and conditions</h2>
<table id="run-levels"></table>
<div class="columns">
<div><h2>Units</h2><table id="run-units"></table></div>
<div><h2>Settings</h2><table id="run-settings"></table></div>
</div>
</div>
</section>
<script>${CORE_SCRIPT}${SWEEPS_SCRIPT}${PARALLEL_SCRIPT}${RUN_SCRIPT}${SWEEPS_START_SCRIPT}${START_SCRIPT}</script>
</body></html>`;
}
