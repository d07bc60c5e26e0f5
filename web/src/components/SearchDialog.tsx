// One search over customers and contacts (names, any 2+ characters, phone digits, email),
// within the caller's data scope; Enter opens the first hit, arrows move between hits.
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { Empty, Input, Modal, Spin, Tag } from 'antd';
import { api } from '../api';
import { useI18n } from '../i18n';
import { ErrorAlert } from './ErrorAlert';

interface Hit {
  type: 'customer' | 'contact';
  id: number;
  customer_id: number;
  name: string;
  customer_name: string;
}

export function SearchDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [active, setActive] = useState(0);

  useEffect(() => {
    const query = q.trim();
    if ([...query].length < 2) {
      setHits([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      setLoading(true);
      api
        .get<{ items: Hit[] }>('/api/v1/search', { q: query, limit: 10 }, abort.signal)
        .then((r) => {
          setHits(r.items);
          setActive(0);
          setError(undefined);
        })
        .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e))
        .finally(() => !abort.signal.aborted && setLoading(false));
    }, 150);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [q]);

  const go = (hit: Hit) => {
    onClose();
    setQ('');
    navigate(`/customers/${hit.customer_id}`);
  };

  return (
    <Modal open={open} onCancel={onClose} footer={null} title={t('search.title')} destroyOnHidden width={560}>
      <Input.Search
        autoFocus
        allowClear
        value={q}
        aria-label={t('search.title')}
        placeholder={t('search.placeholder')}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, hits.length - 1));
          if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          if (e.key === 'Enter' && hits[active]) go(hits[active]);
        }}
      />
      <div style={{ marginTop: 12, minHeight: 80 }}>
        <ErrorAlert error={error} />
        {loading && hits.length === 0 ? (
          <Spin />
        ) : hits.length === 0 && [...q.trim()].length >= 2 ? (
          <Empty description={t('search.none')} />
        ) : (
          <ul role="listbox" aria-label={t('search.results')} style={{ listStyle: 'none', margin: 0, padding: 0 }}>
            {hits.map((hit, i) => (
              <li
                key={`${hit.type}-${hit.id}`}
                role="option"
                aria-selected={i === active}
                onClick={() => go(hit)}
                onMouseEnter={() => setActive(i)}
                className="search-hit"
                style={{ cursor: 'pointer', background: i === active ? '#e6f4ff' : undefined, padding: '8px', borderRadius: 6 }}
              >
                <span>{hit.name}</span>
                <span>
                  {hit.type === 'contact' && <span style={{ color: '#666', marginInlineEnd: 8 }}>{hit.customer_name}</span>}
                  <Tag color={hit.type === 'customer' ? 'blue' : 'green'}>
                    {hit.type === 'customer' ? t('search.customer') : t('search.contact')}
                  </Tag>
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Modal>
  );
}
