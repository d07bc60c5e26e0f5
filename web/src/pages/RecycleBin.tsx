// Deleted customers, contacts, follow-ups, tasks and opportunities: the boss or an admin
// restores within 30 days; after that a daily job purges them.
import { App, Button, Table, Tag } from 'antd';
import { api, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { isAdmin, useMe } from '../session';

interface Deleted {
  id: number;
  type: string;
  label: string;
  deleted_at: string;
  purge_at: string;
}

export default function RecycleBin() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const me = useMe();
  const bin = useApi<ListPage<Deleted>>('/api/v1/recycle-bin', { limit: 200 });
  const restore = async (d: Deleted) => {
    try {
      await api.post(`/api/v1/recycle-bin/${d.type}/${d.id}/restore`);
      message.success(t('bin.restored', { name: d.label }));
      bin.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <>
      <div className="page-title">
        <h1>{t('nav.recycleBin')}</h1>
      </div>
      <p style={{ color: '#666' }}>{t('bin.explain')}</p>
      <ErrorAlert error={bin.error} onRetry={bin.reload} />
      <Table<Deleted>
        rowKey={(d) => `${d.type}-${d.id}`}
        loading={bin.loading}
        dataSource={bin.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('bin.empty') }}
        columns={[
          { title: t('bin.record'), dataIndex: 'label' },
          { title: t('billing.kind'), render: (_, d) => <Tag>{t(`bin.type.${d.type}` as MessageKey)}</Tag> },
          { title: t('bin.deletedAt'), render: (_, d) => dateTime(d.deleted_at) },
          { title: t('bin.purgeAt'), render: (_, d) => dateTime(d.purge_at) },
          {
            title: '',
            render: (_, d) => (isAdmin(me.role) ? <Button size="small" onClick={() => restore(d)}>{t('bin.restore')}</Button> : null),
          },
        ]}
      />
    </>
  );
}
