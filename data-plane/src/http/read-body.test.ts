import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HttpError } from './http-error.ts';
import { readBody } from './read-body.ts';

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({ pull: (c) => (i < chunks.length ? c.enqueue(chunks[i++]!) : c.close()) });
}

function request(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Request {
  return new Request('http://x/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as HttpError).status;
  }
}

describe('readBody()', () => {
  it('returns the bytes of a body within the bound', async () => {
    expect(new TextDecoder().decode(await readBody(request('hello'), 5))).toBe('hello');
    expect(await readBody(new Request('http://x/'), 5)).toHaveLength(0);
  });

  it('refuses a declared Content-Length over the bound before reading', async () => {
    const req = request('x'.repeat(10), { 'content-length': '10' });
    expect(await statusOf(readBody(req, 9))).toBe(413);
    expect(req.bodyUsed).toBe(false);
  });

  it('counts a chunked body and stops at the bound', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1000));
      },
    });
    expect(await statusOf(readBody(request(endless), 10_000))).toBe(413);
    expect(pulled).toBeLessThan(20);
  });

  it('inflates gzip and bounds the inflated size (no zip bombs)', async () => {
    const text = 'a'.repeat(100_000);
    const gz = new Uint8Array(gzipSync(text));
    expect(gz.length).toBeLessThan(1000);
    const ok = await readBody(request(streamOf([gz]), { 'content-encoding': 'gzip' }), 100_000);
    expect(ok.length).toBe(100_000);
    expect(await statusOf(readBody(request(streamOf([gz]), { 'content-encoding': 'gzip' }), 50_000))).toBe(413);
  });

  it('refuses broken gzip (400) and unknown encodings (415)', async () => {
    expect(await statusOf(readBody(request('not gzip', { 'content-encoding': 'gzip' }), 1000))).toBe(400);
    expect(await statusOf(readBody(request('x', { 'content-encoding': 'br' }), 1000))).toBe(415);
  });
});
