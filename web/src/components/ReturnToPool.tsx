// Asking where and why customers go back to the pool (one, or a selection), before they do.
import { App, Input, Select, Space } from 'antd';
import { api, type ListPage } from '../api';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import type { Pool } from '../types';

export function useReturnToPool() {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const pools = useApi<ListPage<Pool>>('/api/v1/pools');
  // Opens the question; on OK, `run` gets the request to make for each customer.
  return (title: string, run: (send: (customerId: number) => Promise<unknown>) => Promise<unknown>) => {
    let reason = '';
    let pool = pools.data?.items[0]?.id;
    modal.confirm({
      title,
      content: (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Select
            style={{ width: '100%' }}
            aria-label={t('pool.title')}
            defaultValue={pool}
            options={(pools.data?.items ?? []).map((p) => ({ value: p.id, label: p.name }))}
            onChange={(v: number) => (pool = v)}
          />
          <Input.TextArea aria-label={t('pool.reason')} placeholder={t('pool.reason')} onChange={(e) => (reason = e.target.value)} />
        </Space>
      ),
      onOk: () => run((id) => api.post(`/api/v1/customers/${id}/return`, { reason: reason || t('pool.defaultReason'), pool_id: pool })),
    });
  };
}
