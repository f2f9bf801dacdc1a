// Report output pinned byte for byte: the Markdown, CSV and HTML text (and the SVG figures) written
// for fixed synthetic runs must not change when the report code is reorganized. The pins are SHA-256
// digests of each file's text after normalizations that do not depend on the code under test:
// the generation time and the temporary directory are replaced by placeholders, Vega's clip-path
// and gradient ids (numbered by counters global to the process, so they depend on what was drawn
// before) are renumbered from 1 in order of appearance, and embedded PNGs
// (the mask unit grids) are replaced by a digest of their decoded pixels, so a different zlib in a
// newer Node does not count as a change. Chart PNGs are not pinned: resvg draws them with the
// machine's fonts.
//
// A deliberate change of the report's output re-records the pins: run this file with
// TICKETLAB_RECORD_REPORT_GOLDEN=1 and paste the printed table over GOLDEN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PNG } from 'pngjs';
import { writeReport, type ReportOptions, type RunSummary } from '../src/report/index.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

const GOLDEN: Record<string, string> = {
  'html/figures/synthetic-curves.svg': '569ac3f560592a2c496c3f5ae98faaee',
  'html/figures/synthetic-early-stop.svg': '5f7b6b849025cbde100e3e85c2e4a453',
  'html/figures/synthetic-accuracy.svg': 'e72f898942067d8433983d633dda9def',
  'html/figures/synthetic-train-accuracy.svg': '603518912f12579647a750d3f29add91',
  'html/tables/synthetic-heatmap-ticket-level-01.csv': '37d2dd73e0f6d03e71ef86ae78bbb12c',
  'html/tables/synthetic-heatmap-ticket-level-02.csv': 'f99fcbb29545d5669f6ccbc8832ba383',
  'html/figures/synthetic-mask-heatmap.svg': '5807512e0db7bb184dd023b508e48394',
  'html/figures/synthetic-mask-units-level-01.svg': '44b082be7aa86ebfa3ee630c0d96dbba',
  'html/figures/synthetic-mask-units-level-02.svg': '591a43700ab50af0fe1e68c6ba5c64e7',
  'html/tables/synthetic-paper.md': 'a71b5b5744e303d4917a0f25a2fed1ff',
  'html/tables/synthetic-paper.csv': 'aa5a7ba2e0df160ddedf35c82dc37640',
  'html/tables/synthetic-sparsity.md': 'bca39309c747746e7b87aa4ac3db8f45',
  'html/tables/synthetic-sparsity.csv': 'b5053f39c7c6dd2b64aa71233d645630',
  'html/tables/levels.md': 'a0e67d39d65bd85660bd3a87af4484cb',
  'html/tables/levels.csv': '4d536b30530207dcbff2378ede50d047',
  'html/index.html': '216ff580d1f9b4dadc10643cbbadaa4e',
  'md/figures/synthetic-curves.svg': '569ac3f560592a2c496c3f5ae98faaee',
  'md/figures/synthetic-early-stop.svg': '5f7b6b849025cbde100e3e85c2e4a453',
  'md/figures/synthetic-accuracy.svg': 'e72f898942067d8433983d633dda9def',
  'md/figures/synthetic-train-accuracy.svg': '603518912f12579647a750d3f29add91',
  'md/tables/synthetic-heatmap-ticket-level-01.csv': '37d2dd73e0f6d03e71ef86ae78bbb12c',
  'md/tables/synthetic-heatmap-ticket-level-02.csv': 'f99fcbb29545d5669f6ccbc8832ba383',
  'md/figures/synthetic-mask-heatmap.svg': '5807512e0db7bb184dd023b508e48394',
  'md/figures/synthetic-mask-units-level-01.svg': '44b082be7aa86ebfa3ee630c0d96dbba',
  'md/figures/synthetic-mask-units-level-02.svg': '591a43700ab50af0fe1e68c6ba5c64e7',
  'md/tables/synthetic-paper.md': 'a71b5b5744e303d4917a0f25a2fed1ff',
  'md/tables/synthetic-paper.csv': 'aa5a7ba2e0df160ddedf35c82dc37640',
  'md/tables/synthetic-sparsity.md': 'bca39309c747746e7b87aa4ac3db8f45',
  'md/tables/synthetic-sparsity.csv': 'b5053f39c7c6dd2b64aa71233d645630',
  'md/tables/levels.md': 'a0e67d39d65bd85660bd3a87af4484cb',
  'md/tables/levels.csv': '4d536b30530207dcbff2378ede50d047',
  'md/index.md': '87717d3e12fbd50384a491d4aecd4aed',
  'two/figures/synthetic-curves.svg': '569ac3f560592a2c496c3f5ae98faaee',
  'two/figures/synthetic-early-stop.svg': '5f7b6b849025cbde100e3e85c2e4a453',
  'two/figures/synthetic-accuracy.svg': 'e72f898942067d8433983d633dda9def',
  'two/figures/synthetic-train-accuracy.svg': '603518912f12579647a750d3f29add91',
  'two/tables/synthetic-sparsity.md': 'bca39309c747746e7b87aa4ac3db8f45',
  'two/tables/synthetic-sparsity.csv': 'b5053f39c7c6dd2b64aa71233d645630',
  'two/figures/conv2-curves.svg': '00fb83f3870862814f0c62c525765882',
  'two/figures/conv2-early-stop.svg': '7ee06a1c1d020f51b7e8cda519febc8b',
  'two/figures/conv2-accuracy.svg': '7e9eed25ab1cd978ad923c0cfb68dd98',
  'two/figures/conv2-train-accuracy.svg': 'da6021c0f6cae312a1ad636c8b8a0b08',
  'two/tables/conv2-sparsity.md': '7c37ef35337f7a571eb09e481df86ad5',
  'two/tables/conv2-sparsity.csv': 'f08b3183f235202de35d2981f319d13a',
  'two/tables/levels.md': 'e384722b352decb51f82a45407abc3f6',
  'two/tables/levels.csv': '5b0003f927f06e6ee777f157dafba662',
  'two/figures/all-early-stop.svg': '2db9a0ae1e0970f29252dae74c0e931a',
  'two/figures/all-accuracy.svg': '3597769276b9edb14177ee88be5cb6a4',
  'two/index.html': '07b3a177f9d226da57f3ee22da82a0c1',
};

const RECORD = process.env.TICKETLAB_RECORD_REPORT_GOLDEN === '1';

let tmp: string;
let single: RunSummary;
let conv: RunSummary;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ticketlab-report-golden-'));
  single = writeSyntheticRun(join(tmp, 'synthetic-0123456789ab'), { scale: 'quick' });
  conv = writeSyntheticRun(join(tmp, 'conv2-aaaaaaaaaaaa'), {
    hidden: [20, 10],
    model: 'conv2',
    dataset: 'fashion-mnist',
    name: 'conv2',
  });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex').slice(0, 32);

/** The text of a written file with the run-specific parts replaced (see the header). */
function normalized(path: string, generatedAt: string): string {
  const ids = new Map<string, number>();
  return readFileSync(path, 'utf8')
    .replace(/\b(clip|gradient_)\d+\b/g, (id: string, kind: string) => {
      if (!ids.has(id)) ids.set(id, ids.size + 1);
      return `${kind}<${ids.get(id)}>`;
    })
    .split(generatedAt)
    .join('<generated>')
    .split(tmp)
    .join('<tmp>')
    .replace(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g, (_, b64: string) => {
      const png = PNG.sync.read(Buffer.from(b64, 'base64'));
      return `data:image/png;pixels=${png.width}x${png.height}:${sha(png.data)}`;
    });
}

/** Digest per pinned file of one report, keyed `<case>/<relative path>`. */
async function digests(
  name: string,
  summaries: RunSummary[],
  opts: ReportOptions,
): Promise<Record<string, string>> {
  const outDir = join(tmp, name);
  const r = await writeReport(summaries, outDir, opts);
  const out: Record<string, string> = {};
  for (const f of r.files) {
    if (!/\.(md|csv|html|svg)$/.test(f)) continue;
    out[`${name}/${relative(outDir, f)}`] = sha(normalized(f, r.model.generatedAt));
  }
  return out;
}

function check(got: Record<string, string>, prefix: string): void {
  const want = Object.fromEntries(Object.entries(GOLDEN).filter(([k]) => k.startsWith(`${prefix}/`)));
  if (RECORD) {
    console.log(
      Object.entries(got)
        .map(([k, v]) => `  '${k}': '${v}',`)
        .join('\n'),
    );
    return;
  }
  assert.ok(Object.keys(want).length > 0, `no pins recorded for ${prefix}`);
  const changed = Object.keys({ ...want, ...got }).filter((k) => want[k] !== got[k]);
  assert.deepEqual(changed, [], `report files whose bytes changed (or appeared / disappeared): ${changed}`);
}

test('one run, HTML with mask pictures: every text file is byte-identical to the recorded output', async () => {
  check(await digests('html', [single], { format: 'html' }), 'html');
});

test('one run, Markdown with mask pictures and a title: byte-identical', async () => {
  check(await digests('md', [single], { format: 'md', title: 'Golden report' }), 'md');
});

test('two runs (combined figures, a stand-in dataset), no masks, no paper: byte-identical', async () => {
  check(await digests('two', [single, conv], { format: 'html', masks: false, paperReference: null }), 'two');
});
