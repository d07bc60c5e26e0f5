// Loading server data into a component (the answer, the error, a loading flag and a reload),
// running actions with their outcome said, and paging by cursor.
import { useCallback, useEffect, useRef, useState } from 'react';
import { App } from 'antd';
import { api, type Query } from './api';
import { useI18n } from './i18n';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (d: T) => void;
}

export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query ?? {});
  const queryRef = useRef(query);
  queryRef.current = query;
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setLoading(true);
    api
      .get<T>(path, queryRef.current, abort.signal)
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [path, key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

// An action from a button: runs it, says "saved" (or the error, in plain words), then `after`.
export function useAction() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  return useCallback(
    async (fn: () => Promise<unknown>, after?: () => void, done?: string): Promise<boolean> => {
      try {
        await fn();
        message.success(done ?? t('common.saved'));
        after?.();
        return true;
      } catch (e) {
        message.error(err(e));
        return false;
      }
    },
    [t, err, message],
  );
}

// Cursor paging of a list: the cursor of the page shown, and the way back and forth.
export function useCursor() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors.at(-1),
    page: cursors.length + 1,
    reset: useCallback(() => setCursors([]), []),
    back: useCallback(() => setCursors((c) => c.slice(0, -1)), []),
    next: useCallback((cursor: string | null | undefined) => cursor && setCursors((c) => [...c, cursor]), []),
    canGoBack: cursors.length > 0,
  };
}
