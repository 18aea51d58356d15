/**
 * Freezes an object graph in place, depth first, and returns it. Used on the final config so no
 * component can change what the others see (the config is read once and shared).
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
