// Choosing a customer by typing any 2+ characters of its name or phone digits (the search).
import { useEffect, useState } from 'react';
import { Select } from 'antd';
import { api } from '../api';
import { useI18n } from '../i18n';

interface Hit {
  type: string;
  customer_id: number;
  customer_name: string;
}

export function CustomerPicker({ exclude, onChange }: { exclude?: number; onChange: (id: number) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[]>([]);
  useEffect(() => {
    if ([...q.trim()].length < 2) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<{ items: Hit[] }>('/api/v1/search', { q: q.trim(), limit: 10 }, abort.signal)
        .then((r) => setHits(r.items))
        .catch(() => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [q]);
  const options = [...new Map(hits.filter((h) => h.customer_id !== exclude).map((h) => [h.customer_id, h.customer_name])).entries()];
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setQ }}
      style={{ width: '100%' }}
      aria-label={t('merge.fromId')}
      placeholder={t('merge.search')}
      notFoundContent={null}
      onChange={onChange}
      options={options.map(([id, name]) => ({ value: id, label: `${name}（${id}）` }))}
    />
  );
}
