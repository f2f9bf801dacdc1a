/**
 * Runs ONNX models in Debian's headless Chromium under onnxruntime-web: a tiny static server on a
 * loopback port serves onnxruntime-web's dist/ from node_modules, the models and an empty page;
 * playwright-core drives the browser, and the page runs each model with the execution provider asked.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ORT_DIST = resolve('node_modules/onnxruntime-web/dist');

/** Chromium flags for WebGPU without a GPU: the unsafe-WebGPU switch and a software (SwiftShader) Vulkan adapter. */
export const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan,WebGPU',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--disable-vulkan-surface',
  '--ignore-gpu-blocklist',
  '--no-sandbox',
];

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
  '.onnx': 'application/octet-stream',
};

export interface BrowserOrt {
  page: Page;
  /** The WebGPU adapter's description, or why there is none. */
  webgpu: { adapter?: string; reason?: string };
  /** Runs a served model on `provider`; the logits, or the error message. */
  run(
    model: string,
    provider: 'wasm' | 'webgpu',
    input: Float32Array,
    dims: number[],
  ): Promise<{ logits?: number[]; error?: string }>;
  close(): Promise<void>;
}

export async function openBrowserOrt(models: Record<string, Uint8Array>): Promise<BrowserOrt> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Uint8Array | string | undefined;
    if (url.pathname === '/') body = '<!DOCTYPE html><title>ticketlab export</title>';
    else if (url.pathname.startsWith('/model/')) body = models[url.pathname.slice('/model/'.length)];
    else if (url.pathname.startsWith('/ort/')) {
      const file = join(ORT_DIST, url.pathname.slice('/ort/'.length));
      if (file.startsWith(ORT_DIST) && existsSync(file)) body = readFileSync(file);
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const ext = /\.[a-z]+$/.exec(url.pathname)?.[0] ?? '.html';
    // cross-origin isolation lets onnxruntime-web use SharedArrayBuffer (wasm threads)
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'text/html',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: WEBGPU_FLAGS });
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    const webgpu = await page.evaluate(async () => {
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } })
        .navigator.gpu;
      if (!gpu) return { reason: 'navigator.gpu is undefined (WebGPU is not exposed by this browser)' };
      try {
        const adapter = (await gpu.requestAdapter()) as {
          info?: { vendor?: string; architecture?: string; description?: string; device?: string };
        } | null;
        if (!adapter) return { reason: 'navigator.gpu.requestAdapter() returned null (no WebGPU adapter)' };
        const i = adapter.info ?? {};
        return {
          adapter:
            [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ') ||
            'unnamed adapter',
        };
      } catch (error) {
        return { reason: `requestAdapter() threw: ${String(error)}` };
      }
    });
    const b = browser;
    return {
      page,
      webgpu,
      async run(model, provider, input, dims) {
        return page.evaluate(
          async ({ origin, model, provider, input, dims }) => {
            const bundle = provider === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs';
            const ort = await import(`${origin}/ort/${bundle}`);
            ort.env.wasm.wasmPaths = `${origin}/ort/`;
            ort.env.wasm.numThreads = 1;
            try {
              const session = await ort.InferenceSession.create(`${origin}/model/${model}`, {
                executionProviders: [provider],
              });
              const out = await session.run({
                input: new ort.Tensor('float32', Float32Array.from(input), dims),
              });
              const logits = Array.from(out.logits.data as Float32Array);
              await session.release();
              return { logits };
            } catch (error) {
              return { error: String((error as Error)?.message ?? error) };
            }
          },
          { origin, model, provider, input: Array.from(input), dims },
        );
      },
      async close() {
        await b.close();
        server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    server.close();
    throw error;
  }
}
