import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Admission } from './admission.ts';
import { mapError } from './error-mapping.ts';

/** An app whose /slow handler waits until released. */
function appWith(admission: Admission) {
  const releases: (() => void)[] = [];
  const app = new Hono();
  app.onError((err) => {
    const m = mapError(err, 'r');
    return new Response(m.code, { status: m.status, headers: m.headers });
  });
  app.use('*', admission.middleware());
  app.get('/slow', async (c) => {
    await new Promise<void>((r) => releases.push(r));
    return c.text('done');
  });
  app.get('/fast', (c) => c.text('ok'));
  return { app, release: () => releases.splice(0).forEach((r) => r()) };
}

describe('Admission', () => {
  it('answers 503 + Retry-After past max requests in progress, and counts the refusal', async () => {
    const reasons: string[] = [];
    const adm = new Admission(1, (r) => reasons.push(r));
    const { app, release } = appWith(adm);
    const slow = app.request('/slow');
    await new Promise((r) => setTimeout(r, 10));
    expect(adm.inFlight).toBe(1);
    const refused = await app.request('/fast');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(reasons).toEqual(['connections']);
    release();
    expect((await slow).status).toBe(200);
    expect((await app.request('/fast')).status).toBe(200);
  });

  it('drain() refuses new requests and resolves when in-flight ones finish', async () => {
    const adm = new Admission(10);
    const { app, release } = appWith(adm);
    const slow = app.request('/slow');
    await new Promise((r) => setTimeout(r, 10));
    const drained = adm.drain(5000);
    const late = await app.request('/fast');
    expect(late.status).toBe(503);
    expect(await late.text()).toBe('shutting_down');
    release();
    expect(await drained).toBe(true);
    expect((await slow).status).toBe(200);
  });

  it('drain() gives up after the timeout', async () => {
    const adm = new Admission(10);
    const { app, release } = appWith(adm);
    const slow = app.request('/slow');
    await new Promise((r) => setTimeout(r, 10));
    expect(await adm.drain(20)).toBe(false);
    release();
    await slow;
  });
});
