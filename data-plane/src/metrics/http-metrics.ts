import { LATENCY_BUCKETS_SECONDS, type Counter, type Gauge, type Histogram, type Registry } from './registry.ts';

/**
 * The HTTP server's own metrics. Labels are bounded: `route` is the registered route pattern
 * (or "unmatched"), never the raw URL, so a scanner cannot grow the series count.
 */
export interface HttpMetrics {
  requests: Counter;
  duration: Histogram;
  inFlight: Gauge;
  /** requests refused before reaching a handler, by reason (connections, shutting_down, body_too_large) */
  rejected: Counter;
  slowQueries: Counter;
}

/** Registers the HTTP metrics on `registry`. */
export function registerHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: registry.counter({
      name: 'stock_tsdb_http_requests_total',
      help: 'HTTP requests answered, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
    }),
    duration: registry.histogram({
      name: 'stock_tsdb_http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS_SECONDS,
    }),
    inFlight: registry.gauge({
      name: 'stock_tsdb_http_requests_in_flight',
      help: 'HTTP requests being processed now.',
    }),
    rejected: registry.counter({
      name: 'stock_tsdb_http_requests_rejected_total',
      help: 'HTTP requests refused before their handler ran, by reason.',
      labelNames: ['reason'],
    }),
    slowQueries: registry.counter({
      name: 'stock_tsdb_slow_queries_total',
      help: 'Queries slower than monitoring.slow_query_ms.',
    }),
  };
}
