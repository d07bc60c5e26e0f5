// The activation queue: confirmed payments waiting to be activated, each with its deadline in
// working days (the PRC calendar); late ones are flagged.
import { App, Button, Table, Tag } from 'antd';
import { api, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

interface Activation {
  id: number;
  tenant_slug: string;
  kind: string;
  order_number: string;
  confirmed_at: string;
  deadline_at: string | null;
  deadline_error: string | null;
  activated_at: string | null;
  late: boolean;
}

export default function Activations() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const queue = useApi<ListPage<Activation>>('/api/v1/operator/activations', { limit: 100 });
  const activate = async (a: Activation) => {
    try {
      await api.post(`/api/v1/operator/activations/${a.id}/activate`);
      message.success(t('op.activated', { number: a.order_number }));
      queue.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <>
      <div className="page-title">
        <h1>{t('op.activations')}</h1>
      </div>
      <ErrorAlert error={queue.error} onRetry={queue.reload} />
      <Table<Activation>
        rowKey="id"
        loading={queue.loading}
        dataSource={queue.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('op.noActivations') }}
        columns={[
          { title: t('billing.number'), dataIndex: 'order_number' },
          { title: t('operator.tenant'), dataIndex: 'tenant_slug' },
          { title: t('billing.kind'), dataIndex: 'kind' },
          { title: t('op.confirmedAt'), render: (_, a) => dateTime(a.confirmed_at) },
          {
            title: t('op.deadline'),
            render: (_, a) => (
              <>
                {a.deadline_at ? dateTime(a.deadline_at) : a.deadline_error ?? '—'} {a.late && <Tag color="red">{t('op.late')}</Tag>}
              </>
            ),
          },
          {
            title: '',
            render: (_, a) =>
              a.activated_at ? (
                <Tag color="green">{t('op.activatedAt', { at: dateTime(a.activated_at) })}</Tag>
              ) : (
                <Button type="primary" size="small" onClick={() => activate(a)}>{t('op.activate')}</Button>
              ),
          },
        ]}
      />
    </>
  );
}
