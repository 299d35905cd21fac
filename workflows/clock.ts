/**
 * The workflow clock. Inside Temporal's workflow sandbox `Date` is the start time of the current workflow task:
 * recorded in history and the same on replay. Workflow code reads time only through this function.
 */
// eslint-disable-next-line no-restricted-properties
export const workflowNow = (): number => Date.now();

export const workflowNowIso = (): string => new Date(workflowNow()).toISOString();
