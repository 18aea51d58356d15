import type { Hono, MiddlewareHandler } from 'hono';
import { ValidationError } from '../../errors.ts';
import type { SeriesData } from '../../model.ts';
import { answerCsv, answerJson, emptyAnswer, resultsJson, rowsAnswer, type Answer } from '../answer.ts';
import type { DataAppDeps, DataEnv } from '../deps.ts';
import { parsePrecision } from '../../ingest/write-limits.ts';
import { parseFields, parseFormat, parsePrefix, parseSymbolList } from '../params.ts';
import { querySpecFrom, sharedQueryFrom, specFor, type QuerySpec } from '../query-spec.ts';
import { readBody } from '../read-body.ts';
import { checkAnswerRows, runQuery } from '../run-query.ts';
import { timedQuery } from '../timed-query.ts';

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

/** Read routes of DESIGN §5: /v1/query, /v1/query/batch, /v1/latest, /v1/symbols (scope read). */
export function registerQueryRoutes(app: Hono<DataEnv>, deps: DataAppDeps): void {
  const read = deps.auth.require('read');
  const maxRows = deps.config.query.max_rows;
  for (const path of ['/v1/query', '/v1/query/batch', '/v1/latest', '/v1/symbols']) app.use(path, serverTiming);

  app.get('/v1/query', read, async (c) => {
    const params = c.req.query();
    const format = parseFormat(params.format);
    const spec = querySpecFrom(params, deps.config.query);
    const answer = await timedQuery(deps, { route: '/v1/query', params }, () => runQuery(deps.engine, spec, maxRows), rowCount);
    if (format === 'csv') return c.body(answerCsv(answer, spec.precision), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
    return c.body(answerJson(answer, spec.precision), 200, JSON_TYPE);
  });

  app.post('/v1/query/batch', read, async (c) => {
    const body = parseJsonObject(await readBody(c.req.raw, deps.config.network.max_body_size));
    const symbols = parseSymbolList(body.symbols);
    const shared = sharedQueryFrom(body);
    const specs = symbols.map((s) => specFor(s, shared, deps.config.query));
    const answers = await timedQuery(
      deps,
      { route: '/v1/query/batch', params: { ...body, symbols: summarize(symbols) } },
      () => runBatch(deps, specs, maxRows),
      (list) => list.reduce((n, a) => n + a.ts.length, 0),
    );
    return c.body(resultsJson(answers, shared.precision), 200, JSON_TYPE);
  });

  app.get('/v1/latest', read, async (c) => {
    const params = c.req.query();
    const symbols = parseSymbolList(params.symbols ?? params.symbol, { csv: true });
    const precision = parsePrecision(params.precision, 's');
    const fields = parseFields(params.fields);
    const rows = await timedQuery(
      deps,
      { route: '/v1/latest', params: { ...params, symbols: summarize(symbols) } },
      () => deps.engine.latest(symbols),
      (list) => list.filter(Boolean).length,
    );
    const answers = rows.map((d, i) => (d ? rowsAnswer(selectFields(d, fields)) : emptyAnswer(symbols[i]!, fields)));
    return c.body(resultsJson(answers, precision), 200, JSON_TYPE);
  });

  app.get('/v1/symbols', read, async (c) => {
    const symbols = await deps.engine.symbols(parsePrefix(c.req.query('prefix')));
    return c.json({ symbols });
  });
}

/** Candle queries issued together per batch request (the engine serves them in one pass). */
const CANDLE_CHUNK = 128;

/**
 * The answers of a batch, in request order. Candle queries go to the engine CANDLE_CHUNK at a
 * time, issued in one tick so the engine reads each chunk in one pass (see engine-candles.ts);
 * answers are small, and a chunk bounds the reads in flight (memory). Raw queries run one after
 * another: their answers can be large. query.max_rows bounds the whole answer, not each
 * symbol's part of it.
 */
async function runBatch(deps: DataAppDeps, specs: QuerySpec[], maxRows: number): Promise<Answer[]> {
  const out: Answer[] = [];
  let budget = maxRows;
  const chunk = specs[0]?.interval ? CANDLE_CHUNK : 1;
  for (let i = 0; i < specs.length; i += chunk) {
    const part = specs.slice(i, i + chunk);
    const answers = await Promise.all(part.map((spec) => runQuery(deps.engine, spec, budget)));
    answers.forEach((a, k) => {
      checkAnswerRows(a, part[k], budget);
      budget -= a.ts.length;
      out.push(a);
    });
  }
  return out;
}

/** Adds `Server-Timing: total;dur=<ms>` (W3C Server Timing): time from auth to the answer text.
 *  The web console's query panel shows it next to the time the browser measured. */
const serverTiming: MiddlewareHandler = async (c, next) => {
  const t0 = performance.now();
  await next();
  c.res.headers.set('Server-Timing', `total;dur=${(performance.now() - t0).toFixed(2)}`);
};

function rowCount(a: Answer): number {
  return a.ts.length;
}

/** Parses a JSON request body that must be an object. @throws ValidationError naming the body */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, 'invalid_json');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ValidationError('request body must be a JSON object', 'invalid_json');
  }
  return v as Record<string, unknown>;
}

/** The columns of `d` named in `fields` (absent ones as nulls), or all of them. */
function selectFields(d: SeriesData, fields: string[] | undefined): SeriesData {
  if (!fields) return d;
  const values = fields.map((f) => {
    const i = d.fields.indexOf(f);
    return i >= 0 ? d.values[i]! : new Float64Array(d.ts.length).fill(NaN);
  });
  return { ...d, fields, values };
}

/** Keeps slow-query log lines short when a request names thousands of symbols. */
function summarize(symbols: string[]): string[] | string {
  return symbols.length <= 20 ? symbols : `${symbols.slice(0, 20).join(',')},… (${symbols.length} symbols)`;
}
