/**
 * Condition bookkeeping (metav1.Condition rules): `lastTransitionTime` changes only when the
 * status flips, every condition carries the generation it was computed from. Pure.
 */
import type { Condition, ConditionType } from './api-types.ts';

/** A condition without its bookkeeping fields. */
export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/**
 * Returns `existing` with `input` set: same-status updates keep `lastTransitionTime`, others get
 * `now`. Order: existing order, new types appended. Never mutates `existing`.
 */
export function setCondition(existing: readonly Condition[], input: ConditionInput, generation: number, now: string): Condition[] {
  const prev = existing.find((c) => c.type === input.type);
  const next: Condition = {
    ...input,
    observedGeneration: generation,
    lastTransitionTime: prev && prev.status === input.status ? prev.lastTransitionTime : now,
  };
  return prev ? existing.map((c) => (c.type === input.type ? next : c)) : [...existing, next];
}

/** Sets several conditions in order. */
export function setConditions(existing: readonly Condition[], inputs: readonly ConditionInput[], generation: number, now: string): Condition[] {
  return inputs.reduce<Condition[]>((acc, c) => setCondition(acc, c, generation, now), [...existing]);
}

/** The condition of `type`, if set. */
export function getCondition(conds: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conds?.find((c) => c.type === type);
}
