/**
 * Package entry for library use: the client SDK, the embeddable engine, the config loader, the
 * HTTP server around an engine, and the shared types and errors.
 */
export * from './client/index.ts';
export { Engine } from './storage/engine.ts';
export { DEFAULT_ENGINE_OPTIONS, engineOptionsFromConfig, type EngineOptions } from './storage/engine-options.ts';
export { loadConfig, parseConfigObject } from './config/load-config.ts';
export { ConfigError } from './config/config-error.ts';
export type { StockTsdbConfig, DeepPartial } from './config/types.ts';
export { startServer, type RunningServer, type ServerOptions } from './http/standalone-server.ts';
export { Logger } from './logging/logger.ts';
export { Registry } from './metrics/registry.ts';
export type { EngineApi, EngineStats, RangeQuery, CandleQuery, CandleResult } from './engine-api.ts';
export type { WriteBatch, SeriesRows, SeriesData, Precision } from './model.ts';
export { ValidationError, NotFoundError, OverloadError, CorruptionError, StorageError } from './errors.ts';
