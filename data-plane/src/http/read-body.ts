import { HttpError } from './http-error.ts';

/**
 * Reads a request body into memory, bounded by `maxBytes`: a declared Content-Length over the
 * bound is refused before anything is read, and a chunked (or lying) body is counted while it
 * streams and refused as soon as it passes the bound, so an oversized body is never buffered.
 * `Content-Encoding: gzip|deflate` bodies (Influx clients gzip large writes) are inflated while
 * streaming and the bound applies to the inflated bytes too (no zip bombs).
 *
 * @throws HttpError 413 `body_too_large`, 415 `unsupported_encoding`, 400 `bad_body` (broken gzip)
 */
export async function readBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(Number(declared), maxBytes);
  if (!req.body) return new Uint8Array(0);
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (declared !== null && (encoding === 'identity' || encoding === '')) {
    // The declared length is within the bound and the server reads exactly that many bytes:
    // one native read into a buffer of our own (no chunk loop, no concatenating copy).
    try {
      return new Uint8Array(await req.arrayBuffer());
    } catch (err) {
      throw new HttpError(400, 'bad_body', `request body could not be read: ${(err as Error).message}`);
    }
  }
  let stream: ReadableStream<Uint8Array> = req.body;
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    stream = stream.pipeThrough(new DecompressionStream(encoding === 'deflate' ? 'deflate' : 'gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  } else if (encoding !== 'identity' && encoding !== '') {
    throw new HttpError(415, 'unsupported_encoding', `header "Content-Encoding": "${encoding}" is not supported; use gzip, deflate or none`);
  }
  return collect(stream, maxBytes, encoding !== 'identity' && encoding !== '');
}

async function collect(stream: ReadableStream<Uint8Array>, maxBytes: number, inflating: boolean): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(total, maxBytes, inflating);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'bad_body', `request body could not be read${inflating ? ' (invalid compressed data)' : ''}: ${(err as Error).message}`);
  } finally {
    try {
      reader.releaseLock();
    } catch {
      // already released by cancel()
    }
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function tooLarge(seen: number, max: number, inflated = false): HttpError {
  const what = inflated ? 'inflated request body' : 'request body';
  return new HttpError(413, 'body_too_large', `${what} exceeds network.max_body_size (${max} bytes; got at least ${seen})`);
}
