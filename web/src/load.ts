/**
 * The pages' one way to read: `useLoad(fetcher, key)` runs the fetcher when `key` (what it depends on)
 * changes and keeps its answer or its ApiError; `reload()` fetches again (after a servicing action), keeping the
 * last answer on screen meanwhile.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { asApiError, type ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(fetcher: () => Promise<T>, key: string): Loaded<T> {
  const [round, setRound] = useState(0);
  const [state, setState] = useState<{ at: string; data?: T; error?: ApiError }>({ at: '' });
  const at = `${key}#${round}`;
  useEffect(() => {
    let live = true;
    fetcher().then(
      (data) => live && setState({ at, data }),
      (err: unknown) => live && setState((s) => ({ at, data: s.data, error: asApiError(err) })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` names everything the fetcher reads
  }, [at]);
  return { data: state.data, error: state.error, loading: state.at !== at, reload: () => setRound((n) => n + 1) };
}

export interface Action {
  busy: boolean;
  error: ApiError | undefined;
  setError: (error: ApiError | undefined) => void;
  /**
   * Runs a write: busy meanwhile, the last error cleared first; its answer, or undefined on a failure, which is
   * kept as `error` (`onError` may reword it, or undo what the page showed).
   */
  run: <T>(act: () => Promise<T>, onError?: (error: ApiError) => ApiError) => Promise<T | undefined>;
  /** A form's `onSubmit` that runs `act` (the browser's own submit prevented). */
  onSubmit: (act: () => Promise<unknown>) => (event: FormEvent) => void;
}

/** The pages' one way to write: a form's submit or a button's action, through `run`. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  async function run<T>(act: () => Promise<T>, onError: (error: ApiError) => ApiError = (e) => e) {
    setBusy(true);
    setError(undefined);
    try {
      return await act();
    } catch (err) {
      setError(onError(asApiError(err)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  const onSubmit = (act: () => Promise<unknown>) => (event: FormEvent) => {
    event.preventDefault();
    void run(act);
  };
  return { busy, error, setError, run, onSubmit };
}
