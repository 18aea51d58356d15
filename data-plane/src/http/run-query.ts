import type { EngineApi } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';
import { candleAnswer, rowsAnswer, type Answer } from './answer.ts';
import type { QuerySpec } from './query-spec.ts';

/**
 * Runs one validated query on the engine: candles when the spec has an interval, raw rows
 * otherwise. @throws ValidationError `too_many_result_rows` past `maxRows` (what is left of config
 * query.max_rows for this request)
 */
export async function runQuery(engine: EngineApi, spec: QuerySpec, maxRows: number): Promise<Answer> {
  const answer = spec.interval
    ? candleAnswer(
        await engine.candles({
          symbol: spec.symbol,
          start: spec.start,
          end: spec.end,
          interval: spec.interval,
          tz: spec.tz,
          fields: spec.fields,
          fill: spec.fill,
        }),
      )
    : rowsAnswer(await engine.readRange({ symbol: spec.symbol, start: spec.start, end: spec.end, fields: spec.fields }));
  checkAnswerRows(answer, spec, maxRows);
  return answer;
}

/** @throws ValidationError `too_many_result_rows` when `answer` has more than `maxRows` rows */
export function checkAnswerRows(answer: Answer, spec: QuerySpec, maxRows: number): void {
  if (answer.ts.length > maxRows) {
    throw new ValidationError(
      `the answer for "${spec.symbol}" has ${answer.ts.length} rows, more than the ${maxRows} left of query.max_rows; narrow "start"/"end" or give an "interval"`,
      'too_many_result_rows',
    );
  }
}
