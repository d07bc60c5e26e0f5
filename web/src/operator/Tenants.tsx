// Every tenant with its metadata: state, seats, users. Never its CRM records.
import { Link } from 'react-router';
import { Table, Tag } from 'antd';
import type { ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import type { TenantMeta } from '../types';

const stateColor: Record<string, string> = { active: 'green', suspended: 'orange', terminated: 'red', pending: 'blue', purged: 'default' };

export default function Tenants() {
  const { t } = useI18n();
  const tenants = useApi<ListPage<TenantMeta>>('/api/v1/operator/tenants', { limit: 200 });
  return (
    <>
      <div className="page-title">
        <h1>{t('operator.tenants')}</h1>
      </div>
      <ErrorAlert error={tenants.error} onRetry={tenants.reload} />
      <Table<TenantMeta>
        rowKey="id"
        loading={tenants.loading}
        dataSource={tenants.data?.items ?? []}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('operator.tenant'), render: (_, x) => <><Link to={`/operator/tenants/${x.id}`}>{x.name}</Link> <small style={{ color: '#595959' }}>{x.slug}</small></> },
          { title: t('operator.state'), render: (_, x) => <Tag color={stateColor[x.state]}>{t(`state.${x.state}` as MessageKey)}</Tag> },
          { title: t('operator.seats'), render: (_, x) => `${x.active_users} / ${x.seats}` },
          { title: t('common.createdAt'), render: (_, x) => dateTime(x.created_at) },
        ]}
      />
    </>
  );
}
