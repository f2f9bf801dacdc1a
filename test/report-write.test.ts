// Report generation from a small stored run: valid SVG, PNG, CSV, Markdown and HTML; the CLI.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { main } from '../src/cli/main.js';
import {
  findMasks,
  loadFirstLayerMask,
  maskHeatmap,
  writeReport,
  type ReportResult,
  type RunSummary,
} from '../src/report/index.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

let tmp: string;
let runDir: string;
let summary: RunSummary;
let html: ReportResult;

function store(dir: string, s: RunSummary): void {
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-report-write-'));
  runDir = join(tmp, 'synthetic-0123456789ab');
  summary = writeSyntheticRun(runDir, { scale: 'quick' });
  store(runDir, summary);
  html = await writeReport([summary], join(tmp, 'out-html'), { format: 'html' });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const read = (p: string) => readFileSync(p, 'utf8');

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(buf: Buffer): [number, number] {
  assert.deepEqual(
    [...buf.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'PNG signature',
  );
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

function parseSvg(text: string): { width: number; height: number } {
  assert.equal(XMLValidator.validate(text), true, 'SVG is well-formed XML');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text) as Record<
    string,
    { width: string; height: string; xmlns: string }
  >;
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  assert.deepEqual(roots, ['svg']);
  assert.equal(doc.svg.xmlns, 'http://www.w3.org/2000/svg');
  return { width: Number(doc.svg.width), height: Number(doc.svg.height) };
}

const file = (r: ReportResult, rel: string) => join(r.outDir, rel);

describe('writeReport (html) on a synthetic run', () => {
  test('writes the expected files', () => {
    const rels = html.files.map((f) => f.slice(html.outDir.length + 1)).sort();
    for (const id of ['curves', 'early-stop', 'accuracy', 'train-accuracy', 'mask-heatmap']) {
      assert.ok(rels.includes(`figures/synthetic-${id}.svg`), id);
      assert.ok(rels.includes(`figures/synthetic-${id}.png`), id);
    }
    for (const id of ['mask-units-level-01', 'mask-units-level-02']) {
      assert.ok(rels.includes(`figures/synthetic-${id}.svg`), id); // a figure with title, axes, legend
      assert.ok(rels.includes(`figures/synthetic-${id}.png`), id);
    }
    for (const t of ['levels', 'synthetic-sparsity', 'synthetic-paper']) {
      assert.ok(rels.includes(`tables/${t}.csv`), t);
      assert.ok(rels.includes(`tables/${t}.md`), t);
    }
    assert.ok(rels.includes('index.html'));
    assert.ok(!rels.includes('index.md'));
    assert.equal(html.index, join(html.outDir, 'index.html'));
  });

  test('every SVG is XML with an <svg> root and the expected marks; PNGs match its size at 2×', () => {
    const svgs = html.files.filter((f) => f.endsWith('.svg'));
    assert.equal(svgs.length, 7);
    for (const path of svgs) {
      const text = read(path);
      const { width, height } = parseSvg(text);
      const [pw, ph] = pngSize(readFileSync(path.replace(/\.svg$/, '.png')));
      assert.equal(pw, width * 2, path);
      assert.equal(ph, height * 2, path);
      assert.ok(width > 300 && width < 2000 && height > 200 && height < 2000, `${path}: ${width}×${height}`);
    }
    const es = read(file(html, 'figures/synthetic-early-stop.svg'));
    assert.match(es, /class="mark-line role-mark/);
    assert.match(es, /class="mark-area role-mark/);
    assert.match(es, /class="mark-symbol role-mark/);
    assert.match(es, /percent of weights remaining \(log scale\)/);
    assert.match(es, /QUICK SCALE/); // the label travels with the figure
    // the means are drawn: a ticket point at 21.1% with mean 550
    assert.match(
      es,
      /aria-label="percent of weights remaining \(log scale\): 21\.\d+; iteration of minimum validation loss: 550; condition: ticket"/,
    );
    const curves = read(file(html, 'figures/synthetic-curves.svg'));
    assert.match(curves, />ticket</);
    assert.match(curves, />random-reinit</);
    assert.match(curves, />51\.3%</);
  });

  test('the heat map SVG draws the hand-countable surviving connections per pixel', () => {
    const svg = read(file(html, 'figures/synthetic-mask-heatmap.svg'));
    const labels = [
      ...svg.matchAll(/aria-label="x: (\d+); y: (\d+); units still connected \(of 300\): (\d+)"/g),
    ];
    // two levels (51.3%, 21.1%) of the ticket; random re-init shares its masks and is not repeated
    assert.equal(labels.length, 2 * 784);
    const f = findMasks(runDir).find((m) => m.trial === 0 && m.level === 2 && m.condition === 'ticket')!;
    const m = loadFirstLayerMask(f.path, 784)!;
    const counts = maskHeatmap(m.data, m.shape, [28, 28]);
    const second = labels.slice(784);
    for (const [, x, y, n] of second) assert.equal(Number(n), counts[Number(y) * 28 + Number(x)]);
    const csv = read(file(html, 'tables/synthetic-heatmap-ticket-level-02.csv')).trimEnd().split('\r\n');
    assert.equal(csv.length, 29);
    assert.deepEqual(csv[14].split(',').map(Number), [...counts.subarray(13 * 28, 14 * 28)]);
  });

  test('unit grids are pictures of 8×8 units of 28×28 pixels, with a title, axes and a legend', () => {
    const svg = read(file(html, 'figures/synthetic-mask-units-level-01.svg'));
    const [, b64] = /href="data:image\/png;base64,([^"]+)"/.exec(svg)!;
    const [w, h] = pngSize(Buffer.from(b64, 'base64'));
    assert.equal(w, 8 * 28 * 3 + 9 * 2);
    assert.equal(h, 8 * 28 * 3 + 9 * 2);
    assert.match(svg, />Per-unit masks of fc1\.weight, ticket, level 1 /);
    assert.match(svg, />row: hidden units</);
    assert.match(svg, />units 0–32</);
    assert.match(svg, />column: units of the row, left to right/);
    assert.match(svg, />kept: the unit still sees this input pixel</);
    assert.match(svg, />pruned</);
  });

  test('CSV tables have the right header and rows', () => {
    const lines = read(file(html, 'tables/levels.csv')).split('\r\n');
    assert.ok(
      lines[0].startsWith('experiment,condition,level,percent_remaining,trials,early_stop_iteration_mean'),
    );
    assert.equal(lines.length, 1 + 5 + 1);
    assert.match(lines[1], /^synthetic,ticket,0,100,2,1100,1000,1200,98\.1\d*,98,98\.2\d*,/);
    assert.match(lines[5], /^synthetic,random-reinit,2,21\.\d+,2,1600,1500,1700,97\.6\d*,97\.5\d*,97\.7\d*,/);
    const paper = read(file(html, 'tables/synthetic-paper.csv'));
    assert.match(
      paper,
      /^claim,paper,ours,paper_percent_remaining,our_percent_remaining,note,source,claim_id,/,
    );
    assert.match(
      paper,
      /,38% earlier,50% earlier,21\.1,21\.\d+,,"Section 2, Figure 4a",es-earlier-21,38,=,50,exact\r\n/,
    );
    const sp = read(file(html, 'tables/synthetic-sparsity.csv')).split('\r\n');
    assert.equal(sp[0], 'level,conditions,layer,kind,total,kept,percent_remaining');
    assert.equal(sp.length, 1 + 3 * 3 + 1);
  });

  test('the HTML page is self-contained: inline SVGs with unique ids, tables, labels, config, machine, time', () => {
    const page = read(html.index);
    assert.ok(page.startsWith('<!DOCTYPE html>'));
    const svgs = [...page.matchAll(/<svg [\s\S]*?<\/svg>/g)].map((m) => m[0]);
    assert.equal(svgs.length, 7);
    for (const s of svgs) parseSvg(s);
    const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    // the unit grids are embedded, not linked
    assert.equal((page.match(/href="data:image\/png;base64,/g) ?? []).length, 2);
    assert.doesNotMatch(page, /<script|<link /);
    assert.ok((page.match(/<table class="data">/g) ?? []).length >= 5);
    assert.match(page, /QUICK SCALE/);
    assert.match(page, /<td>learningRate<\/td><td>0\.0012<\/td>/);
    assert.match(page, /<td>pruning\.rates\.fc<\/td><td>0\.2<\/td>/);
    assert.match(page, /Synthetic CPU @ 2\.0GHz \(2 logical CPUs\)/);
    assert.match(page, /1 h 02 min \(3725\.0 s\)/);
    // paper comparison, ours beside the paper's
    assert.match(page, /<td>38% earlier<\/td><td>50% earlier<\/td>/);
    assert.match(page, /<td>2\.51× sooner<\/td><td>2\.91× sooner<\/td>/);
    assert.match(page, /no &#39;ticket&#39; level near 13\.5% \(nearest: 21\.1%\)/);
    // per-layer sparsity
    assert.match(page, /fc1 \(fc, 235,200\)/);
    assert.match(page, /21\.1% \(49,627\)/);
  });
});

test('Markdown format: index.md with figures, tables and labels', async () => {
  const r = await writeReport([summary], join(tmp, 'out-md'), {
    format: 'md',
    title: 'My report',
    masks: false,
  });
  assert.equal(r.index, join(tmp, 'out-md', 'index.md'));
  assert.ok(!existsSync(join(tmp, 'out-md', 'index.html')));
  const md = read(r.index);
  assert.ok(md.startsWith('# My report\n'));
  assert.match(md, /> \*\*QUICK SCALE/);
  assert.match(
    md,
    /!\[Early-stopping iteration versus percent of weights remaining\]\(figures\/synthetic-early-stop\.png\)/,
  );
  assert.match(md, /\[SVG\]\(figures\/synthetic-early-stop\.svg\)/);
  assert.match(md, /\| claim \| paper \| ours \|/);
  assert.match(md, /\| condition \| level \| % remaining \|/);
  assert.match(md, /Mask pictures were not requested\./);
  assert.ok(!r.files.some((f) => f.includes('mask')));
});

test('several runs on one page: combined figures; stand-in datasets labelled', async () => {
  const convDir = join(tmp, 'conv2-aaaaaaaaaaaa');
  const conv = writeSyntheticRun(convDir, {
    hidden: [20, 10],
    model: 'conv2',
    dataset: 'fashion-mnist',
    name: 'conv2',
  });
  const r = await writeReport([summary, conv], join(tmp, 'out-two'), { format: 'html' });
  for (const id of ['all-early-stop', 'all-accuracy']) {
    const svg = read(join(r.outDir, 'figures', `${id}.svg`));
    parseSvg(svg);
    assert.match(svg, />synthetic</);
    assert.match(svg, />conv2</);
  }
  const page = read(r.index);
  assert.match(page, /STAND-IN DATASET: fashion-mnist standing in for cifar10 \(inferred\)/);
  assert.match(page, /href="#exp-conv2"/);
  assert.match(read(join(r.outDir, 'figures', 'conv2-accuracy.svg')), /STAND-IN DATASET/);
  // levels.csv holds both experiments
  const csv = read(join(r.outDir, 'tables', 'levels.csv'));
  assert.match(csv, /\r\nsynthetic,ticket,0,/);
  assert.match(csv, /\r\nconv2,ticket,0,/);
});

describe('ticketlab report (CLI)', () => {
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const { log, error } = console;
    const write = process.stdout.write.bind(process.stdout);
    const ewrite = process.stderr.write.bind(process.stderr);
    console.log = (...a: unknown[]) => out.push(a.join(' '));
    console.error = (...a: unknown[]) => err.push(a.join(' '));
    process.stdout.write = ((chunk: string | Uint8Array) => (
      out.push(String(chunk)),
      true
    )) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (
      err.push(String(chunk)),
      true
    )) as typeof process.stderr.write;
    try {
      const code = await main(['node', 'ticketlab', 'report', ...args]);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
      process.stdout.write = write;
      process.stderr.write = ewrite;
    }
  }

  test('writes <run-dir>/report/index.html by default', async () => {
    const r = await run(runDir, '--no-masks');
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(runDir, 'report', 'index.html')));
    assert.match(r.out, /report of 1 run: .*report\/index\.html/);
    assert.match(r.out, /note: synthetic: QUICK SCALE/);
  });

  test("the pruning study's runs: the report says study.md comes from reproduce, and how to rewrite it", async () => {
    const dir = join(tmp, 'study-runs', 'resnet20-pruning-study-lottery-0123456789ab');
    mkdirSync(dir, { recursive: true });
    store(dir, { ...writeSyntheticRun(dir, { scale: 'quick' }), preset: 'resnet20-pruning-study' });
    const r = await run(dir, '--no-masks', '--format', 'md');
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /note: study\.md .* is written by `ticketlab reproduce resnet20-pruning-study`: run it again .*--dry-run/,
    );
    assert.ok(!existsSync(join(dir, 'report', 'study.md')));
    // other runs get no such note
    assert.doesNotMatch((await run(runDir, '--no-masks', '--format', 'md')).out, /study\.md/);
  });

  test('--format md --out, and a directory of runs', async () => {
    const out = join(tmp, 'cli-md');
    const r = await run(tmp, '--format', 'md', '--out', out, '--paper', 'none', '--no-masks');
    assert.equal(r.code, 0, r.err);
    const md = read(join(out, 'index.md'));
    assert.match(md, /No comparison with the paper was requested\./);
    assert.ok(!existsSync(join(out, 'tables', 'synthetic-paper.csv')));
  });

  test('--help documents every option with its default', async () => {
    const r = await run('--help');
    assert.equal(r.code, 0);
    r.out = r.out.replace(/\s+/g, ' ');
    for (const opt of ['--out <dir>', '--format <format>', '--title <text>', '--paper <id>', '--no-masks']) {
      assert.ok(r.out.includes(opt), opt);
    }
    assert.match(r.out, /default: <run dir>\/report for one run, <runs>\/reports\/<names> for several/);
    assert.match(r.out, /default: "html"/);
    assert.match(r.out, /default: "auto"/);
    assert.match(r.out, /lenet300-mnist/);
  });

  test('mistakes are UserErrors naming the file and the fix', async () => {
    const missing = await run(join(tmp, 'nope'));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /ticketlab: run directory .*nope does not exist/);
    assert.match(missing.err, /fix: /);

    const unfinished = join(tmp, 'unfinished');
    mkdirSync(unfinished);
    writeFileSync(join(unfinished, 'config.json'), '{}');
    const r1 = await run(unfinished);
    assert.equal(r1.code, 2);
    assert.match(r1.err, /unfinished\/summary\.json does not exist/);
    assert.match(r1.err, /fix: finish or resume the run/);

    const corrupt = join(tmp, 'corrupt');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, 'summary.json'), '{"name": ');
    const r2 = await run(corrupt);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /corrupt\/summary\.json is corrupt: not valid JSON/);

    const invalid = join(tmp, 'invalid');
    mkdirSync(invalid);
    writeFileSync(join(invalid, 'summary.json'), JSON.stringify({ ...summary, results: [{ trial: 0 }] }));
    const r3 = await run(invalid);
    assert.equal(r3.code, 2);
    assert.match(r3.err, /invalid\/summary\.json is not a valid run summary: results\.0\./);

    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const r4 = await run(empty);
    assert.equal(r4.code, 2);
    assert.match(r4.err, /empty has no summary\.json, and no run directories with one/);

    const badPaper = await run(runDir, '--paper', 'resnet');
    assert.equal(badPaper.code, 2);
    assert.match(badPaper.err, /unknown paper reference "resnet"/);

    const badFormat = await run(runDir, '--format', 'pdf');
    assert.notEqual(badFormat.code, 0);
    assert.match(badFormat.err, /Allowed choices are html, md/);
  });
});
