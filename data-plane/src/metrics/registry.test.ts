import { describe, expect, it } from 'vitest';
import { Registry, escapeLabelValue, formatValue } from './registry.ts';

describe('Registry', () => {
  it('counter() renders HELP, TYPE and one line per label set', () => {
    const r = new Registry();
    const c = r.counter({ name: 'req_total', help: 'Requests.', labelNames: ['route', 'status'] });
    c.inc({ route: '/a', status: '200' });
    c.inc({ route: '/a', status: '200' }, 2);
    c.inc({ route: '/b', status: '404' });
    expect(r.render()).toBe(
      '# HELP req_total Requests.\n# TYPE req_total counter\n' +
        'req_total{route="/a",status="200"} 3\nreq_total{route="/b",status="404"} 1\n',
    );
  });

  it('an unlabeled gauge shows 0 before its first set()', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: 'G.' });
    expect(r.render()).toContain('\ng 0\n');
    g.set(-2.5);
    expect(r.render()).toContain('\ng -2.5\n');
  });

  it('callback metrics are read at scrape time, one value or labeled samples', () => {
    const r = new Registry();
    let v = 1;
    r.callbackGauge({ name: 'epoch', help: 'E.', collect: () => v });
    r.callbackCounter({
      name: 'hints_total',
      help: 'H.',
      labelNames: ['node'],
      collect: () => [{ labels: { node: 'n1' }, value: 4 }],
    });
    v = 7;
    const text = r.render();
    expect(text).toContain('# TYPE epoch gauge\nepoch 7\n');
    expect(text).toContain('hints_total{node="n1"} 4\n');
  });

  it('a throwing callback drops only its own family', () => {
    const r = new Registry();
    r.callbackGauge({ name: 'bad', help: 'B.', collect: () => { throw new Error('x'); } });
    r.gauge({ name: 'good', help: 'G.' });
    expect(r.render()).toBe('# HELP good G.\n# TYPE good gauge\ngood 0\n');
  });

  it('histogram() is cumulative with +Inf, _sum and _count', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'lat_seconds', help: 'L.', labelNames: ['route'], buckets: [0.1, 1] });
    h.observe({ route: '/q' }, 0.05);
    h.observe({ route: '/q' }, 0.1); // le is inclusive
    h.observe({ route: '/q' }, 0.5);
    h.observe({ route: '/q' }, 3);
    expect(r.render()).toBe(
      '# HELP lat_seconds L.\n# TYPE lat_seconds histogram\n' +
        'lat_seconds_bucket{route="/q",le="0.1"} 2\n' +
        'lat_seconds_bucket{route="/q",le="1"} 3\n' +
        'lat_seconds_bucket{route="/q",le="+Inf"} 4\n' +
        'lat_seconds_sum{route="/q"} 3.65\n' +
        'lat_seconds_count{route="/q"} 4\n',
    );
  });

  it('escapes label values and HELP text per the exposition format', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const r = new Registry();
    r.gauge({ name: 'x', help: 'line1\nback\\slash "quoted"', labelNames: ['l'] }).set(1, { l: '"\n\\' });
    expect(r.render()).toBe(
      '# HELP x line1\\nback\\\\slash "quoted"\n# TYPE x gauge\nx{l="\\"\\n\\\\"} 1\n',
    );
  });

  it('formatValue() spells NaN and infinities as Prometheus does', () => {
    expect([NaN, Infinity, -Infinity, 0.25, 1e21].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0.25', '1e+21']);
  });

  it('rejects bad names, counters without _total, duplicates and wrong labels', () => {
    const r = new Registry();
    expect(() => r.gauge({ name: '1bad', help: '' })).toThrow(/BUG: invalid metric name/);
    expect(() => r.gauge({ name: 'g', help: '', labelNames: ['__x'] })).toThrow(/invalid label/);
    expect(() => r.counter({ name: 'requests', help: '' })).toThrow(/_total/);
    r.gauge({ name: 'dup', help: '' });
    expect(() => r.gauge({ name: 'dup', help: '' })).toThrow(/twice/);
    const c = r.counter({ name: 'c_total', help: '', labelNames: ['a'] });
    expect(() => c.inc({ b: '1' })).toThrow(/missing label a/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/increment/);
  });
});
