/**
 * The console page: wires the symbol search, the toolbar (interval, time zone) and the five
 * views to one API client. The page state (view, symbol, interval, zone, search prefix) lives in
 * the URL fragment, so a view can be bookmarked or shared.
 */
import { Api, type TokenPrompt } from './api.mts';
import { BatchView, MAX_BATCH } from './batch-view.mts';
import { CandleChart, type ChartQuery } from './chart-view.mts';
import { byId, debounce, esc } from './dom.mts';
import { LatestView } from './latest-view.mts';
import { NodeView } from './node-view.mts';
import { QueryLog } from './query-log.mts';
import { TableView } from './table-view.mts';
import { exchangeZone, zoneChoices, type ZoneDefaults } from './time.mts';

type View = 'chart' | 'table' | 'batch' | 'latest' | 'node';
const VIEWS: View[] = ['chart', 'table', 'batch', 'latest', 'node'];
/** Symbols listed in the sidebar at most. */
const MAX_LISTED = 500;

interface ServerInfo extends ZoneDefaults {
  version: string;
  auth: boolean;
}

const state = { view: 'chart' as View, symbol: '', interval: '1m', tz: '', prefix: '' };
let info: ServerInfo = { version: '?', auth: false, default_timezone: 'UTC', exchange_timezones: {} };
let found: string[] = [];

const api = new Api(new QueryLog(byId('query-log')), tokenPrompt());
const chart = new CandleChart(byId('chart'), byId('legend'), byId('chart-request'), api);
const table = new TableView(byId<HTMLTableElement>('rows-table'), byId('table-caption'), byId('csv-request'), api);
const batch = new BatchView(byId('multiples'), byId('batch-request'), api);
const latest = new LatestView(byId<HTMLTableElement>('latest-table'), byId('latest-caption'), byId('latest-request'), byId<HTMLInputElement>('latest-auto'), api, () => zoneFor(state.symbol));
const node = new NodeView(byId('stats'), byId('stats-request'), byId('cluster'), api);
chart.onChange = (r) => table.update(r);

/** The modal token dialog as the API client's prompt; it cannot be dismissed without a token. */
function tokenPrompt(): TokenPrompt {
  const dialog = byId<HTMLDialogElement>('token-dialog');
  const input = byId<HTMLInputElement>('token-input');
  dialog.addEventListener('cancel', (e) => e.preventDefault());
  return (reason) =>
    new Promise((resolve) => {
      byId('token-error').textContent = reason;
      input.value = '';
      byId<HTMLFormElement>('token-form').onsubmit = (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        dialog.close();
        byId('sign-out').hidden = false;
        resolve(token);
      };
      dialog.showModal();
      input.focus();
    });
}

function zoneFor(symbol: string): string {
  return state.tz || exchangeZone(symbol, info);
}

function chartQuery(): ChartQuery {
  return { symbol: state.symbol, interval: state.interval, tz: state.tz || undefined, zone: zoneFor(state.symbol) };
}

function saveHash(): void {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v) p.set(k, v);
  history.replaceState(null, '', `#${p}`);
}

function loadHash(): void {
  const p = new URLSearchParams(location.hash.slice(1));
  const view = p.get('view') as View | null;
  if (view && VIEWS.includes(view)) state.view = view;
  state.symbol = p.get('symbol') ?? '';
  state.interval = p.get('interval') ?? state.interval;
  state.tz = p.get('tz') ?? '';
  state.prefix = p.get('prefix') ?? '';
}

function setStatus(text: string, error = false): void {
  const el = byId('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

async function search(prefix: string): Promise<void> {
  state.prefix = prefix;
  saveHash();
  try {
    const r = await api.call<{ symbols: string[] }>({ label: 'symbol search', path: '/v1/symbols', query: { prefix } });
    if (state.prefix !== prefix) return;
    found = r.data.symbols;
    const list = byId('symbol-list');
    list.innerHTML = found
      .slice(0, MAX_LISTED)
      .map((s) => `<li data-symbol="${esc(s)}" class="${s === state.symbol ? 'selected' : ''}">${esc(s)}</li>`)
      .join('');
    byId('symbol-count').textContent = `${found.length} symbol${found.length === 1 ? '' : 's'}${found.length > MAX_LISTED ? ` (first ${MAX_LISTED} listed)` : ''}`;
    latest.setSymbols(found);
  } catch (err) {
    setStatus((err as Error).message, true);
  }
}

function selectSymbol(symbol: string): void {
  state.symbol = symbol;
  saveHash();
  for (const li of byId('symbol-list').querySelectorAll<HTMLElement>('li')) li.classList.toggle('selected', li.dataset.symbol === symbol);
  byId('current-symbol').textContent = symbol;
  updateZoneLabel();
  void chart.show(chartQuery());
}

function updateZoneLabel(): void {
  const first = byId<HTMLSelectElement>('tz').options[0]!;
  first.textContent = `exchange default${state.symbol ? ` (${exchangeZone(state.symbol, info)})` : ''}`;
}

function showView(view: View): void {
  state.view = view;
  saveHash();
  for (const v of VIEWS) byId(`view-${v}`).hidden = v !== view;
  for (const b of byId('tabs').querySelectorAll<HTMLElement>('button')) b.classList.toggle('active', b.dataset.view === view);
  byId('load-older').hidden = byId('fit').hidden = view !== 'chart';
  if (view === 'latest') latest.start();
  else latest.stop();
  if (view === 'node') node.start();
  else node.stop();
  if (view === 'batch' && !byId<HTMLInputElement>('batch-symbols').value) fillBatchFromSearch();
}

function fillBatchFromSearch(): void {
  byId<HTMLInputElement>('batch-symbols').value = found.slice(0, MAX_BATCH).join(',');
}

function runBatch(): void {
  const symbols = byId<HTMLInputElement>('batch-symbols').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (symbols.length > MAX_BATCH) setStatus(`batch view: the first ${MAX_BATCH} of ${symbols.length} symbols are shown`);
  const zone = state.tz || exchangeZone(symbols[0] ?? '', info);
  void batch.show(symbols, { interval: state.interval, tz: state.tz || undefined, zone });
}

function wire(): void {
  const tz = byId<HTMLSelectElement>('tz');
  tz.innerHTML = `<option value="">exchange default</option>${zoneChoices().map((z) => `<option>${esc(z)}</option>`).join('')}`;
  if (state.tz && ![...tz.options].some((o) => o.value === state.tz)) tz.insertAdjacentHTML('beforeend', `<option>${esc(state.tz)}</option>`);
  tz.value = state.tz;
  const interval = byId<HTMLSelectElement>('interval');
  interval.value = state.interval;
  const onQueryChange = () => {
    state.interval = interval.value;
    state.tz = tz.value;
    saveHash();
    updateZoneLabel();
    if (state.symbol) void chart.show(chartQuery());
    if (state.view === 'batch') runBatch();
  };
  interval.addEventListener('change', onQueryChange);
  tz.addEventListener('change', onQueryChange);
  const input = byId<HTMLInputElement>('symbol-search');
  input.value = state.prefix;
  const searchSoon = debounce((p: string) => void search(p), 200);
  input.addEventListener('input', () => searchSoon(input.value.trim()));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && found[0]) selectSymbol(found[0]);
  });
  byId('symbol-list').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest<HTMLElement>('li[data-symbol]');
    if (li) selectSymbol(li.dataset.symbol!);
  });
  byId('tabs').addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>('button[data-view]');
    if (b) showView(b.dataset.view as View);
  });
  byId('load-older').addEventListener('click', () => void chart.loadOlder());
  byId('fit').addEventListener('click', () => chart.fit());
  byId('csv-download').addEventListener('click', () => void table.downloadCsv().catch((err: Error) => setStatus(err.message, true)));
  byId('batch-run').addEventListener('click', runBatch);
  byId('batch-fill').addEventListener('click', () => {
    fillBatchFromSearch();
    runBatch();
  });
  const signOut = byId('sign-out');
  signOut.hidden = api.token === null;
  signOut.addEventListener('click', () => {
    api.forgetToken();
    location.reload();
  });
}

async function start(): Promise<void> {
  loadHash();
  wire();
  try {
    info = (await api.call<ServerInfo>({ label: 'console info', path: '/console/api/info' })).data;
  } catch (err) {
    setStatus(`cannot reach this node: ${(err as Error).message}`, true);
  }
  byId('node-id').textContent = `${location.host} · v${info.version}${info.auth ? ' · auth on' : ''}`;
  byId('sign-out').hidden = api.token === null;
  document.body.dataset.ready = 'true';
  showView(state.view);
  await search(state.prefix);
  if (state.symbol) selectSymbol(state.symbol);
  if (state.view === 'batch') runBatch();
}

void start();
