// Your tasks and reminders: today, overdue, open or done; mark done in one click.
import { Link, useSearchParams } from 'react-router';
import { App, Button, Checkbox, DatePicker, Form, Input, Segmented, Table, Tag } from 'antd';
import type { Dayjs } from 'dayjs';
import { api, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime, toRfc3339 } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import type { Task } from '../types';

const views = ['today', 'overdue', 'open', 'done'] as const;
type View = (typeof views)[number];

export default function Tasks() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const view = (views as readonly string[]).includes(params.get('view') ?? '') ? (params.get('view') as View) : 'today';
  const tasks = useApi<ListPage<Task>>('/api/v1/tasks', { view, limit: 100 });

  const [form] = Form.useForm<{ title: string; due_at: Dayjs }>();
  const create = async (v: { title: string; due_at: Dayjs }) => {
    try {
      await api.post('/api/v1/tasks', { title: v.title, due_at: toRfc3339(v.due_at) });
      form.resetFields();
      message.success(t('task.created'));
      tasks.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  const toggle = async (task: Task) => {
    try {
      await api.patch(`/api/v1/tasks/${task.id}`, { done: !task.done });
      tasks.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.tasks')}</h1>
        <Segmented
          value={view}
          onChange={(v) => setParams({ view: String(v) }, { replace: true })}
          options={views.map((v) => ({ value: v, label: t(`task.view.${v}`) }))}
        />
      </div>
      <Form form={form} layout="inline" onFinish={create} style={{ marginBottom: 16, rowGap: 8 }} aria-label={t('task.new')}>
        <Form.Item name="title" rules={[{ required: true, message: t('form.required') }]}>
          <Input placeholder={t('task.title')} aria-label={t('task.title')} style={{ width: 260 }} maxLength={200} />
        </Form.Item>
        <Form.Item name="due_at" rules={[{ required: true, message: t('form.required') }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" placeholder={t('task.due')} aria-label={t('task.due')} />
        </Form.Item>
        <Button type="primary" htmlType="submit">{t('task.new')}</Button>
      </Form>
      <ErrorAlert error={tasks.error} onRetry={tasks.reload} />
      <Table<Task>
        rowKey="id"
        loading={tasks.loading}
        dataSource={tasks.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t('task.empty') }}
        columns={[
          {
            title: '',
            width: 40,
            render: (_, task) => <Checkbox checked={task.done} onChange={() => toggle(task)} aria-label={t('task.done')} />,
          },
          { title: t('task.title'), dataIndex: 'title' },
          {
            title: t('task.due'),
            render: (_, task) => (
              <>
                {dateTime(task.due_at)}{' '}
                {view === 'overdue' && <Tag color="red">{t('task.overdue')}</Tag>}
              </>
            ),
          },
          {
            title: '',
            render: (_, task) =>
              task.customer_id ? (
<Link to={`/customers/${task.customer_id}`}>{t('task.openCustomer')}</Link>
              ) : null,
          },
        ]}
      />
    </>
  );
}
