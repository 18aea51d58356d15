import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingFile } from './rotating-file.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stsdb-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('RotatingFile', () => {
  it('buffers lines until flush()', () => {
    const p = join(tempDir(), 'a.log');
    const f = new RotatingFile(p, { maxBytes: 0, maxFiles: 1, flushMs: 60_000 });
    f.append('one');
    f.append('two');
    expect(readFileSync(p, 'utf8')).toBe('');
    f.flush();
    expect(readFileSync(p, 'utf8')).toBe('one\ntwo\n');
    f.close();
  });

  it('rotates past maxBytes and keeps at most maxFiles old files, newest as .1', () => {
    const dir = tempDir();
    const p = join(dir, 'a.log');
    const f = new RotatingFile(p, { maxBytes: 10, maxFiles: 2, flushMs: 60_000 });
    for (const line of ['aaaaaaa', 'bbbbbbb', 'ccccccc', 'ddddddd']) {
      f.append(line);
      f.flush();
    }
    f.close();
    expect(readdirSync(dir).sort()).toEqual(['a.log', 'a.log.1', 'a.log.2']);
    expect(readFileSync(p, 'utf8')).toBe('ddddddd\n');
    expect(readFileSync(`${p}.1`, 'utf8')).toBe('ccccccc\n');
    expect(readFileSync(`${p}.2`, 'utf8')).toBe('bbbbbbb\n');
  });

  it('with maxFiles 0 truncates instead of keeping old files', () => {
    const dir = tempDir();
    const p = join(dir, 'a.log');
    const f = new RotatingFile(p, { maxBytes: 10, maxFiles: 0, flushMs: 60_000 });
    f.append('aaaaaaa');
    f.flush();
    f.append('bbbbbbb');
    f.close();
    expect(readdirSync(dir)).toEqual(['a.log']);
    expect(readFileSync(p, 'utf8')).toBe('bbbbbbb\n');
  });

  it('appends to an existing file and counts its size', () => {
    const p = join(tempDir(), 'a.log');
    const f1 = new RotatingFile(p, { maxBytes: 12, maxFiles: 1 });
    f1.append('12345');
    f1.close();
    const f2 = new RotatingFile(p, { maxBytes: 12, maxFiles: 1 });
    f2.append('67890');
    f2.flush();
    expect(readFileSync(p, 'utf8')).toBe('12345\n67890\n');
    f2.append('x');
    f2.close();
    expect(readFileSync(p, 'utf8')).toBe('x\n');
  });
});

