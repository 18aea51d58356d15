/**
 * A streamed binary answer from an async generator of chunks: pulled one chunk at a time (so a
 * slow client slows the producer instead of filling memory), and the generator is closed (its
 * RocksDB iterator released) when the client goes away.
 */
export function streamResponse(chunks: AsyncGenerator<Uint8Array>, headers: Record<string, string>): Response {
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'application/octet-stream', ...headers } });
}
