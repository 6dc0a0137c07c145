import * as z from 'zod';

/** How a waiting flow's run ended, as far as the flow needs to know: the only outcomes a wake carries. */
export const RUN_END_OUTCOMES = ['succeeded', 'failed', 'needs-attention'] as const;
export type RunEndOutcome = (typeof RUN_END_OUTCOMES)[number];

/**
 * What wakes a flow waiting for its run (the callback's output, at `$.run.end`): the run, its status and
 * class, and how the end was learned — a TFC notification, or the wait's own read of the run.
 */
export const RunEndSchema = z.object({
  runId: z.string(),
  runStatus: z.string(),
  outcome: z.enum(RUN_END_OUTCOMES),
  via: z.enum(['notification', 'read']),
  /** When the run's end was learned. */
  at: z.string(),
});
export type RunEnd = z.infer<typeof RunEndSchema>;
