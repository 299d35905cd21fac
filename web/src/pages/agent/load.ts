/**
 * The agent pages' one way to read: `useLoad(fetcher, deps)` runs the fetcher when a dependency changes and keeps
 * its answer or its ApiError; `reload()` fetches again (after a servicing action).
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** An error as the pages show it: the API's, or one for an API that could not be reached. */
export const asApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError(0, 'NETWORK', 'the API could not be reached');

export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what the fetcher depends on
  const run = useCallback(fetcher, deps);
  useEffect(() => {
    let live = true;
    setLoading(true);
    run()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      })
      .catch((err: unknown) => live && setError(asApiError(err)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [run, round]);
  return { data, error, loading, reload: () => setRound((n) => n + 1) };
}
