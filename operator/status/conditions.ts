import type { Condition, ConditionType } from '../api/seckill-types';

export type ConditionInput = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * Sets a condition the kubebuilder way: lastTransitionTime moves only when the status flips, so watchers can tell
 * how long a Seckill has been (not) Ready; reason, message and observedGeneration follow every reconcile.
 */
export function setCondition(
  previous: readonly Condition[],
  next: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition {
  const old = previous.find((c) => c.type === next.type);
  return {
    ...next,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime:
      old && old.status === next.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export const findCondition = (conditions: readonly Condition[] | undefined, type: ConditionType) =>
  conditions?.find((c) => c.type === type);
