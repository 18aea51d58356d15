import { describe, expect, it } from 'vitest';
import { CorruptionError, NotFoundError, OverloadError, StorageError, ValidationError } from '../errors.ts';
import { errorBody, mapError } from './error-mapping.ts';
import { HttpError } from './http-error.ts';

describe('mapError()', () => {
  it.each([
    [new ValidationError('row 3 field "open": not a number'), 400, 'invalid_request', false],
    [new ValidationError('too many rows', 'request_too_large'), 413, 'request_too_large', false],
    [new NotFoundError('no such thing'), 404, 'not_found', false],
    [new OverloadError('head full', 2, 503), 503, 'overloaded', false],
    [new OverloadError('slow down', 1, 429), 429, 'overloaded', false],
    [new HttpError(413, 'body_too_large', 'too big'), 413, 'body_too_large', false],
    [new CorruptionError('bad checksum', 'k1'), 500, 'corruption', true],
    [new StorageError('rocksdb: IO error'), 500, 'storage_error', true],
    [new TypeError('x is undefined'), 500, 'internal', true],
    ['a string', 500, 'internal', true],
  ] as const)('%s → %d %s', (err, status, code, internal) => {
    const m = mapError(err, 'r1');
    expect([m.status, m.code, m.internal]).toEqual([status, code, internal]);
  });

  it('keeps caller-fault messages, hides server-fault details behind a reference', () => {
    expect(mapError(new ValidationError('row 3 field "open": not a number'), 'r').message).toBe('row 3 field "open": not a number');
    const m = mapError(new StorageError('IO error: /secret/path'), 'abc');
    expect(m.message).toBe('internal error (ref abc); see logs/error.log');
    expect(m.message).not.toContain('secret');
  });

  it('sets Retry-After for overload (at least 1 s)', () => {
    expect(mapError(new OverloadError('x', 0.2, 503), 'r').headers).toEqual({ 'Retry-After': '1' });
    expect(mapError(new HttpError(503, 'shutting_down', 'x', { retryAfterSec: 3 }), 'r').headers['Retry-After']).toBe('3');
  });

  it('errorBody() speaks our shape and both InfluxDB shapes', () => {
    const m = mapError(new ValidationError('line 2: bad'), 'r');
    expect(errorBody(m, 'tsdb')).toEqual({ error: { code: 'invalid_request', message: 'line 2: bad' } });
    expect(errorBody(m, 'influx-v1')).toEqual({ error: 'line 2: bad' });
    expect(errorBody(m, 'influx-v2')).toEqual({ code: 'invalid', message: 'line 2: bad' });
    expect(errorBody(mapError(new HttpError(413, 'body_too_large', 'big'), 'r'), 'influx-v2')).toEqual({ code: 'request too large', message: 'big' });
  });
});
