import { describe, expect, it } from 'vitest';
import { Logger, formatLine } from './logger.ts';

describe('Logger', () => {
  it('writes JSON lines with an upper-case level, filtered by level', () => {
    const { logger, sinks } = Logger.memory();
    const quiet = new Logger(sinks, 'warn');
    quiet.info('hidden');
    logger.warn('disk low', { free_bytes: 5 });
    expect(sinks.system.lines).toHaveLength(1);
    const obj = JSON.parse(sinks.system.lines[0]!);
    expect(obj).toMatchObject({ level: 'WARN', msg: 'disk low', free_bytes: 5 });
    expect(Date.parse(obj.time)).not.toBeNaN();
  });

  it('error() goes to error.log and system.log with the stack and cause', () => {
    const { logger, sinks } = Logger.memory();
    logger.error('write failed', { err: new Error('outer', { cause: new Error('inner') }) });
    expect(sinks.error.lines).toHaveLength(1);
    expect(sinks.system.lines).toHaveLength(1);
    const obj = JSON.parse(sinks.error.lines[0]!);
    expect(obj.err.message).toBe('outer');
    expect(obj.err.cause.message).toBe('inner');
    expect(obj.err.stack).toContain('Error: outer');
  });

  it('slowQuery() writes a slow_query line with params and duration to performance.log', () => {
    const { logger, sinks } = Logger.memory();
    logger.slowQuery({ route: '/v1/query', params: { symbol: 'stock.SH.600519' }, duration_ms: 152.25 });
    expect(sinks.performance.lines[0]).toContain('slow_query');
    expect(JSON.parse(sinks.performance.lines[0]!)).toMatchObject({
      event: 'slow_query',
      params: { symbol: 'stock.SH.600519' },
      duration_ms: 152.25,
    });
  });

  it('formatLine() survives unserializable fields', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.parse(formatLine('info', 'x', { cyclic }))).toMatchObject({ msg: 'x', note: 'fields not serializable' });
  });
});
