// The customer pool (公海): customers without an owner, waiting in one of the tenant's pools.
// Anyone may claim within the caps (customers held, claims per day), which are shown here;
// a former owner waits out the cooldown.
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { Alert, App, Button, Segmented, Table, Tag } from 'antd';
import { api, type ListPage } from '../api';
import { CursorPager } from '../components/CursorPager';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi, useCursor } from '../hooks';
import { useI18n } from '../i18n';
import type { CrmSettings, Customer, Pool as PoolT } from '../types';

export default function Pool() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const pools = useApi<ListPage<PoolT>>('/api/v1/pools');
  const settings = useApi<CrmSettings>('/api/v1/crm/settings');
  const held = useApi<ListPage<Customer>>('/api/v1/customers', { owner_id: 'me', limit: 1, with_total: 1 });
  const [poolId, setPoolId] = useState<number>();
  const paging = useCursor();
  useEffect(() => {
    if (!poolId && pools.data?.items[0]) setPoolId(pools.data.items[0].id);
  }, [pools.data, poolId]);
  const waiting = useApi<ListPage<Customer>>(poolId ? `/api/v1/pools/${poolId}/customers` : null, { limit: 25, cursor: paging.cursor });

  const claim = async (c: Customer) => {
    try {
      await api.post(`/api/v1/customers/${c.id}/claim`);
      message.success(t('pool.claimedName', { name: c.name }));
      waiting.reload();
      held.reload();
      pools.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  const caps = settings.data?.pool;
  return (
    <>
      <div className="page-title">
        <h1>{t('nav.pool')}</h1>
        {pools.data && pools.data.items.length > 1 && (
          <Segmented
            value={poolId}
            onChange={(v) => {
              setPoolId(v as number);
              paging.reset();
            }}
            options={pools.data.items.map((p) => ({ value: p.id, label: `${p.name} (${p.customers})` }))}
          />
        )}
      </div>
      {caps && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('pool.caps', {
            held: held.data?.total ?? '…',
            max: caps.max_customers_per_user,
            perDay: caps.max_claims_per_day,
            cooldown: caps.cooldown_days,
          })}
        />
      )}
      <ErrorAlert error={pools.error || waiting.error} onRetry={waiting.reload} />
      <Table<Customer>
        rowKey="id"
        loading={waiting.loading}
        dataSource={waiting.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('pool.empty') }}
        columns={[
          { title: t('customer.name'), render: (_, c) => <Link to={`/customers/${c.id}`}>{c.name}</Link> },
          { title: t('customer.level'), render: (_, c) => (c.level ? <Tag color="gold">{c.level}</Tag> : null) },
          { title: t('customer.industry'), dataIndex: 'industry' },
          { title: t('customer.city'), render: (_, c) => [c.province, c.city].filter(Boolean).join(' ') },
          { title: t('customer.lastFollowUp'), render: (_, c) => dateTime(c.last_follow_up_at) },
          {
            title: '',
            render: (_, c) => (
              <Button type="primary" size="small" onClick={() => claim(c)}>
                {t('pool.claim')}
              </Button>
            ),
          },
        ]}
      />
      <CursorPager paging={paging} nextCursor={waiting.data?.next_cursor} />
    </>
  );
}
