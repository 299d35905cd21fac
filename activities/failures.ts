import { ApplicationFailure } from '@temporalio/activity';
import { DomainError, isRetryable } from '../domain/errors';

/**
 * The one way an activity fails: a DomainError leaves it as an ApplicationFailure whose type is the error code,
 * non-retryable when the code is a refusal (4xx), retryable when it is trouble (5xx). Anything else is retried.
 */
export function asActivityFailure(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    details: [err.details ?? null],
    nonRetryable: !isRetryable(err.code),
  });
}

/** Wraps every activity so that its DomainErrors fail it as asActivityFailure says. */
export function withDomainFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw asActivityFailure(err);
        }
      },
    ]),
  ) as T;
}
