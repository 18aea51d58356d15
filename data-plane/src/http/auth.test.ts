import { describe, expect, it } from 'vitest';
import { Authorizer, tokenOf } from './auth.ts';
import { HttpError } from './http-error.ts';

describe('Authorizer', () => {
  const auth = new Authorizer({
    enabled: true,
    tokens: [
      { token: 'reader', scopes: ['read'] },
      { token: 'writer', scopes: ['write'] },
      { token: 'root', scopes: ['admin'] },
    ],
  });
  const status = (token: string | undefined, scope: 'read' | 'write' | 'admin') => {
    try {
      auth.check(token, scope);
      return 200;
    } catch (e) {
      return (e as HttpError).status;
    }
  };

  it('401 without or with an unknown token, 403 without the scope, admin implies all', () => {
    expect(status(undefined, 'read')).toBe(401);
    expect(status('nope', 'read')).toBe(401);
    expect(status('reader', 'read')).toBe(200);
    expect(status('reader', 'write')).toBe(403);
    expect(status('writer', 'write')).toBe(200);
    expect(status('writer', 'admin')).toBe(403);
    expect(status('root', 'read')).toBe(200);
    expect(status('root', 'write')).toBe(200);
  });

  it('tokenOf() reads Bearer, Influx Token, Basic password and the p parameter', () => {
    expect(tokenOf('Bearer abc', undefined)).toBe('abc');
    expect(tokenOf('Token abc', undefined)).toBe('abc');
    expect(tokenOf(`Basic ${Buffer.from('user:abc').toString('base64')}`, undefined)).toBe('abc');
    expect(tokenOf(undefined, 'abc')).toBe('abc');
    expect(tokenOf(undefined, undefined)).toBeUndefined();
  });
});
