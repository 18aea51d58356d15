/**
 * The web console (issue 6) end to end: a real server process, data loaded through the API, the
 * page driven in headless Debian Chromium (playwright-core, /usr/bin/chromium; no browser is
 * downloaded). What the chart shows is read from the page (data attributes and legend), and
 * checked against candles computed here from the rows the test wrote. Screenshots go to
 * test-artifacts/console/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../helpers/http-calls.ts';
import { REPO_ROOT, startServer, type ServerProcess } from '../helpers/server-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/console');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// ---- test data: 1m bars of two trading days in Shanghai hours (09:30–11:30, 13:00–15:00) ----

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
const DAY1 = Date.UTC(2024, 2, 4) / 1000; // Monday 2024-03-04, before US DST (New York is UTC−5)
const DAY2 = DAY1 + DAY;
const SYM = 'stock.SH.600519';
const OTHERS = ['stock.SH.600000', 'stock.SH.601318', 'stock.SZ.000001', 'stock.SZ.000002', 'stock.SZ.300750'];

interface Bar {
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One bar a minute over the sessions of `days` (UTC 01:30–03:30 and 05:00–07:00). */
function makeBars(days: number[], seed: number, base: number): Bar[] {
  const r = rng(seed);
  const bars: Bar[] = [];
  let price = base;
  for (const day of days) {
    for (const [from, to] of [[1.5 * HOUR, 3.5 * HOUR], [5 * HOUR, 7 * HOUR]] as const) {
      for (let t = day + from; t < day + to; t += MIN) {
        const open = price;
        const close = Math.round((open + (r() - 0.5) * 2) * 100) / 100;
        const high = Math.round((Math.max(open, close) + r()) * 100) / 100;
        const low = Math.round((Math.min(open, close) - r()) * 100) / 100;
        bars.push({ timestamp: t, open, high, low, close, volume: 100 * (1 + Math.floor(r() * 90)) });
        price = close;
      }
    }
  }
  return bars;
}

const BARS = makeBars([DAY1, DAY2], 7, 1700);

/** Reference candles for a fixed-offset zone (offset s east of UTC): [bucket start, close] per candle. */
function naiveCandles(bars: Bar[], opts: { start: number; end: number; width: number; offset: number }): [number, number][] {
  const last = new Map<number, number>();
  for (const b of bars) {
    if (b.timestamp < opts.start || b.timestamp >= opts.end) continue;
    last.set(Math.floor((b.timestamp + opts.offset) / opts.width) * opts.width - opts.offset, b.close);
  }
  return [...last.entries()].sort((a, b) => a[0] - b[0]);
}

const ALL = { start: 0, end: DAY2 + DAY };
const LAST_BAR = BARS[BARS.length - 1]!;

// ---- browser helpers ----

async function openBrowser(): Promise<{ ctx: BrowserContext; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'stsdb-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  return { ctx, dir };
}

/**
 * Collects page errors and console errors, so a test can assert there were none. The browser
 * logs every non-2xx fetch; the 404 of the optional cluster endpoint (standalone) is expected.
 */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.includes('/admin/ring')) errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  return errors;
}

/** Polls `attr` of the first match of `selector` until `ok` holds (CSP forbids waitForFunction's eval). */
async function waitAttr(page: Page, selector: string, attr: string, ok: (v: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let v = '';
  while (Date.now() < deadline) {
    v = (await page.locator(selector).first().getAttribute(attr).catch(() => null)) ?? '';
    if (ok(v)) return v;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector} [${attr}] stayed ${JSON.stringify(v)}`);
}

interface ChartState {
  state: string;
  candles: number;
  lastClose: number;
  lastTime: string;
  firstTime: string;
  exhausted: boolean;
  tz: string;
}

async function chartState(page: Page): Promise<ChartState> {
  const el = page.locator('#chart');
  const attr = async (n: string) => (await el.getAttribute(n)) ?? '';
  return {
    state: await attr('data-state'),
    candles: Number(await attr('data-candles')),
    lastClose: Number(await attr('data-last-close')),
    lastTime: await attr('data-last-time'),
    firstTime: await attr('data-first-time'),
    exhausted: (await attr('data-exhausted')) === 'true',
    tz: await attr('data-tz'),
  };
}

/** Waits until the chart is ready with `candles` candles (and, if asked, has found the start of data). */
async function waitChart(page: Page, want: { candles: number; exhausted?: boolean }): Promise<ChartState> {
  const deadline = Date.now() + 20_000;
  let s = await chartState(page);
  while (Date.now() < deadline) {
    s = await chartState(page);
    if (s.state === 'ready' && s.candles === want.candles && (want.exhausted === undefined || s.exhausted === want.exhausted)) return s;
    if (s.state === 'error') throw new Error(`chart error: ${await page.locator('#legend').textContent()}`);
    await page.waitForTimeout(100);
  }
  throw new Error(`chart did not reach ${JSON.stringify(want)}: ${JSON.stringify(s)}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(150); // let the chart paint its last frame
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

const iso = (t: number) => new Date(t * 1000).toISOString();

// ---- the tests ----

describe('web console (auth off)', () => {
  let s: ServerProcess;
  let browser: { ctx: BrowserContext; dir: string };
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    s = await startServer();
    expect((await post(`${s.dataUrl}/v1/write`, { symbol: SYM, rows: BARS })).status).toBe(200);
    for (const [i, sym] of OTHERS.entries()) {
      const days = i % 2 === 0 ? [DAY1, DAY2] : [DAY2];
      expect((await post(`${s.dataUrl}/v1/write`, { symbol: sym, rows: makeBars(days, 100 + i, 10 + 20 * i) })).status).toBe(200);
    }
    browser = await openBrowser();
    page = await browser.ctx.newPage();
    errors = watchErrors(page);
  });

  afterAll(async () => {
    await browser?.ctx.close();
    if (browser) rmSync(browser.dir, { recursive: true, force: true });
    await s?.stop();
    s?.cleanup();
  });

  it('the browser code typechecks with the DOM library (its own tsconfig)', () => {
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', 'data-plane/console/tsconfig.json', '--noEmit'], { cwd: REPO_ROOT, stdio: 'pipe' });
  });

  it('serves the page and its assets without a token, same-origin only', async () => {
    const redirect = await fetch(`${s.dataUrl}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    const html = await get(`${s.dataUrl}/console/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    const js = /src="(assets\/app\.js\?v=[0-9a-f]+)"/.exec(html.text)![1]!;
    const app = await fetch(`${s.dataUrl}/console/${js}`);
    expect(app.status).toBe(200);
    expect(app.headers.get('cache-control')).toContain('immutable');
    expect(await app.text()).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    expect((await get(`${s.dataUrl}/console/assets/nothing.js`)).status).toBe(404);
  });

  it('query answers carry Server-Timing, and the API answers as before', async () => {
    const r = await get(`${s.dataUrl}/v1/query?symbol=${SYM}&start=${DAY2}&end=${DAY2 + DAY}&interval=1d`);
    expect(r.status).toBe(200);
    expect(r.headers.get('server-timing')).toMatch(/^total;dur=\d+(\.\d+)?$/);
    expect(r.json.rows).toHaveLength(1);
    expect((await get(`${s.dataUrl}/v2/nothing`)).json.error.code).toBe('not_found');
  });

  it('symbol search by prefix, then a 1m chart of the latest window with the right candles and last close', async () => {
    await page.goto(`${s.dataUrl}/console/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.fill('#symbol-search', 'stock.SH.');
    await page.locator('#symbol-count', { hasText: '3 symbols' }).waitFor();
    expect(await page.locator('#symbol-list li').allTextContents()).toEqual(['stock.SH.600000', SYM, 'stock.SH.601318']);
    await page.click(`#symbol-list li[data-symbol="${SYM}"]`);
    // The first window is 1000 minutes back from the last row: the second day only.
    const end = LAST_BAR.timestamp + 1;
    const want = naiveCandles(BARS, { start: end - 1000 * MIN, end, width: MIN, offset: 0 });
    expect(want).toHaveLength(240);
    const st = await waitChart(page, { candles: want.length });
    expect(st.lastClose).toBe(LAST_BAR.close);
    expect(st.lastTime).toBe(iso(LAST_BAR.timestamp));
    expect(st.tz).toBe('Asia/Shanghai'); // the SH exchange default
    expect(await page.locator('[data-legend-close]').textContent()).toBe(String(LAST_BAR.close));
    // The query panel shows the exact request, with the server's timing.
    const req = page.locator('#chart-request [data-url]');
    expect(await req.textContent()).toBe(`${s.dataUrl}/v1/query?symbol=${SYM}&start=${end - 1000 * MIN}&end=${end}&interval=1m`);
    expect(await page.locator('#chart-request').textContent()).toMatch(/server \d+\.\d ms · browser \d+\.\d ms · 240 rows/);
    await shot(page, '1-chart-1m');
  });

  it('panning left fetches the previous window; the start of data is found', async () => {
    const box = (await page.locator('#chart').boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + 100, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 200, y, { steps: 12 });
    await page.mouse.up();
    const st = await waitChart(page, { candles: 480 });
    expect(st.firstTime).toBe(iso(BARS[0]!.timestamp));
    expect(st.lastClose).toBe(LAST_BAR.close);
    await shot(page, '2-chart-1m-panned');
    await page.click('#load-older');
    await waitChart(page, { candles: 480, exhausted: true });
  });

  it('switching interval and time zone re-buckets the candles', async () => {
    const cases: { interval: string; tz: string; width: number; offset: number }[] = [
      { interval: '1d', tz: '', width: DAY, offset: 8 * HOUR }, // exchange default: Asia/Shanghai
      { interval: '1d', tz: 'America/New_York', width: DAY, offset: -5 * HOUR },
      { interval: '1h', tz: 'Asia/Kolkata', width: HOUR, offset: 5.5 * HOUR },
      { interval: '15m', tz: 'UTC', width: 15 * MIN, offset: 0 },
    ];
    for (const c of cases) {
      await page.selectOption('#interval', c.interval);
      await page.selectOption('#tz', c.tz);
      const want = naiveCandles(BARS, { ...ALL, width: c.width, offset: c.offset });
      // Few candles fill less than the view, so the chart keeps fetching until the start of data.
      const st = await waitChart(page, { candles: want.length, exhausted: true });
      expect(st.tz).toBe(c.tz || 'Asia/Shanghai');
      expect(st.firstTime).toBe(iso(want[0]![0]));
      expect(st.lastTime).toBe(iso(want[want.length - 1]![0]));
      expect(st.lastClose).toBe(want[want.length - 1]![1]);
      const url = await page.locator('#chart-request [data-url]').textContent();
      expect(url).toContain(`interval=${c.interval}`);
      if (c.tz) expect(url).toContain(`tz=${encodeURIComponent(c.tz)}`);
      else expect(url).not.toContain('tz=');
      await shot(page, `3-chart-${c.interval}-${(c.tz || 'exchange').replace('/', '-')}`);
    }
    expect(naiveCandles(BARS, { ...ALL, width: DAY, offset: -5 * HOUR })).toHaveLength(3); // the zone matters here
  });

  it('the table shows the same rows, and the CSV download equals the API CSV answer', async () => {
    await page.selectOption('#interval', '5m');
    await page.selectOption('#tz', 'Asia/Tokyo');
    const want = naiveCandles(BARS, { ...ALL, width: 5 * MIN, offset: 9 * HOUR });
    await waitChart(page, { candles: want.length, exhausted: true });
    await page.click('#tabs button[data-view="table"]');
    expect(Number(await page.locator('#rows-table').getAttribute('data-rows'))).toBe(want.length);
    expect(await page.locator('#rows-table tbody tr').count()).toBe(want.length);
    // Newest first; the last column of the first row is the volume, the close is the 5th cell.
    expect(await page.locator('#rows-table tbody tr').first().locator('td').nth(4).textContent()).toBe(String(LAST_BAR.close));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-download')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const url = (await page.locator('#csv-request [data-url]').textContent())!;
    expect(url).toContain('format=csv');
    expect(url).toContain('tz=Asia%2FTokyo');
    const api = await get(url);
    expect(api.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv).toBe(api.text);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('timestamp,open,high,low,close,volume');
    expect(lines).toHaveLength(want.length + 1);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(want.map((w) => w[0]));
    await shot(page, '4-table');
  });

  it('batch view: small multiples from one batch query', async () => {
    await page.selectOption('#interval', '1h');
    await page.selectOption('#tz', '');
    await page.fill('#symbol-search', 'stock.');
    await page.locator('#symbol-count', { hasText: '6 symbols' }).waitFor();
    await page.click('#tabs button[data-view="batch"]');
    await page.click('#batch-fill');
    await page.locator('#multiples[data-state="ready"]').waitFor();
    const boxes = page.locator('#multiples .multiple');
    expect(await boxes.count()).toBe(6);
    const all = [SYM, ...OTHERS].sort();
    for (const [i, sym] of all.entries()) {
      const box = boxes.nth(i);
      expect(await box.getAttribute('data-symbol')).toBe(sym);
      const twoDays = sym === SYM || OTHERS.indexOf(sym) % 2 === 0;
      expect(Number(await box.getAttribute('data-candles'))).toBe(twoDays ? 10 : 5);
    }
    expect(await page.locator('#batch-request').textContent()).toContain('POST');
    await shot(page, '5-batch');
  });

  it('latest grid refreshes with new rows', async () => {
    await page.click('#tabs button[data-view="latest"]');
    const cell = page.locator(`#latest-table tr[data-symbol="${SYM}"] td`).nth(5); // symbol, time, open, high, low, close
    await cell.waitFor();
    expect(await cell.textContent()).toBe(String(LAST_BAR.close));
    const t = LAST_BAR.timestamp + MIN;
    await post(`${s.dataUrl}/v1/write`, { symbol: SYM, rows: [{ timestamp: t, open: 1, high: 2, low: 0.5, close: 1.25, volume: 7 }] });
    await page.locator(`#latest-table tr[data-symbol="${SYM}"] td:nth-child(6)`, { hasText: '1.25' }).waitFor({ timeout: 10_000 });
    await shot(page, '6-latest');
  });

  it('node view: live charts of the node counters, and "standalone" without a cluster', async () => {
    await page.click('#tabs button[data-view="node"]');
    await page.locator('#cluster[data-mode="standalone"]').waitFor();
    await waitAttr(page, '#stats', 'data-samples', (v) => Number(v) >= 3);
    const storage = Number(await page.locator('[data-stat="storage"] .value').getAttribute('data-value'));
    expect(storage).toBeGreaterThan(0);
    await post(`${s.dataUrl}/v1/write`, { symbol: 'stock.SH.688001', rows: makeBars([DAY2], 9, 50) });
    await waitAttr(page, '[data-stat="ingest"] .value', 'data-value', (v) => Number(v) > 0);
    await shot(page, '7-node');
    // The query panel lists the polls once each, with a count, next to the chart requests.
    expect(await page.locator('#query-log li[data-label="node stats"]').count()).toBe(1);
    expect(await page.locator('#query-log li[data-label="chart"]').count()).toBeGreaterThan(3);
  });

  it('cluster panel: nodes, health, vnodes per node, ring epoch, handoff progress (admin API answers stubbed in the browser)', async () => {
    // No cluster layer runs here yet: the browser's requests to the admin API are answered with
    // documents of the documented shapes (data-plane/docs/cluster-api.md).
    const p2 = await browser.ctx.newPage();
    const errs = watchErrors(p2);
    const vnodes = 12;
    const ring = {
      self: 'n1',
      placement: { format: 1, epoch: 42, vnodes, rf: 2, nodes: ['n1', 'n2', 'n3'], owners: Array.from({ length: vnodes }, (_, v) => [v % 3, (v + 1) % 3]) },
      pending: [{ vnode: 2, from: 'n3', to: 'n1', replicaIndex: 0 }, { vnode: 5, from: null, to: 'n1', replicaIndex: 1 }],
      members: [{ id: 'n1', address: s.host + ':' + s.dataPort }, { id: 'n2', address: '127.0.0.202:7000' }, { id: 'n3', address: '127.0.0.203:7000' }],
      peers: [{ id: 'n2', up: true }, { id: 'n3', up: false }],
    };
    const jobs = { jobs: [{ vnode: 2, from: 'n3', state: 'running', rows: 100, bytes: 3 << 20 }, { vnode: 5, from: 'n2', state: 'done', rows: 80, bytes: 1 << 20 }] };
    await p2.route('**/admin/ring', (r) => r.fulfill({ json: ring }));
    await p2.route('**/admin/handoff', (r) => r.fulfill({ json: jobs }));
    await p2.goto(`${s.dataUrl}/console/#view=node`);
    await p2.locator('#cluster[data-mode="cluster"]').waitFor();
    expect(await p2.locator('#cluster [data-epoch]').textContent()).toBe('42');
    const rows = p2.locator('#cluster tr[data-node]');
    expect(await rows.count()).toBe(3);
    const node = async (i: number) => [await rows.nth(i).getAttribute('data-node'), await rows.nth(i).getAttribute('data-healthy'), await rows.nth(i).getAttribute('data-vnodes')];
    expect([await node(0), await node(1), await node(2)]).toEqual([['n1', 'true', '8'], ['n2', 'true', '8'], ['n3', 'false', '8']]);
    expect(await p2.locator('#cluster [data-handoff]').getAttribute('data-handoff')).toBe('2');
    expect(await p2.locator('#cluster .bar').getAttribute('data-progress')).toBe('50');
    await shot(p2, '7b-cluster');
    expect(errs).toEqual([]);
    await p2.close();
  });

  it('no page errors', () => {
    expect(errors).toEqual([]);
  });
});

describe('web console with auth on', () => {
  const READ = 'console-read-token';
  let s: ServerProcess;
  let browser: { ctx: BrowserContext; dir: string };

  beforeAll(async () => {
    s = await startServer({ config: { auth: { enabled: true, tokens: [{ token: READ, scopes: ['read'] }, { token: 'w', scopes: ['write'] }] } } });
    expect((await post(`${s.dataUrl}/v1/write`, { symbol: SYM, rows: BARS }, { Authorization: 'Bearer w' })).status).toBe(200);
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.ctx.close();
    if (browser) rmSync(browser.dir, { recursive: true, force: true });
    await s?.stop();
    s?.cleanup();
  });

  it('the page is public, its data endpoints need the read scope', async () => {
    expect((await get(`${s.dataUrl}/console/`)).status).toBe(200);
    expect((await get(`${s.dataUrl}/console/api/stats`)).status).toBe(401);
    expect((await get(`${s.dataUrl}/console/api/stats`, { Authorization: 'Bearer w' })).status).toBe(403);
    expect((await get(`${s.dataUrl}/console/api/stats`, { Authorization: `Bearer ${READ}` })).status).toBe(200);
  });

  it('asks for a token, rejects a wrong one, keeps the right one in sessionStorage only', async () => {
    const page = await browser.ctx.newPage();
    const errors = watchErrors(page);
    await page.goto(`${s.dataUrl}/console/#symbol=${SYM}&interval=1d`);
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.locator('#token-error').textContent()).toContain('missing credentials');
    await shot(page, '8-auth-prompt');
    await page.fill('#token-input', 'wrong-token');
    await page.click('#token-submit');
    await page.locator('#token-error', { hasText: 'unknown or revoked token' }).waitFor();
    await page.fill('#token-input', READ);
    await page.click('#token-submit');
    const want = naiveCandles(BARS, { ...ALL, width: DAY, offset: 8 * HOUR });
    const st = await waitChart(page, { candles: want.length, exhausted: true });
    expect(st.lastClose).toBe(LAST_BAR.close);
    expect(await page.locator('#token-dialog').getAttribute('open')).toBeNull();
    expect(await page.evaluate('sessionStorage.getItem("stock-tsdb.token")')).toBe(READ);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.locator('#node-id').textContent()).toContain('auth on');
    await shot(page, '9-auth-chart');
    // Console errors are the browser's own "401" network lines, expected here; no script errors.
    expect(errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    await page.close();
  });
});
