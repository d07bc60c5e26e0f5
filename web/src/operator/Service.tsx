// Running the service: SMS signatures to approve, announcements to tenants, the support inbox,
// incidents (unauthorized-use reports) with the liability cap, data export requests (metadata
// only), and the purge queue and its reports. Never tenant records.
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { Button, Card, Col, Form, Input, List, Popconfirm, Row, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { api, newIdempotencyKey, yuan, type ListPage } from '../api';
import { dateTime } from '../format';
import { useAction, useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';

function Signatures() {
  const { t } = useI18n();
  const act = useAction();
  const list = useApi<ListPage<{ tenant_id: number; signature: string | null; status: string; requested_at: string | null }>>('/api/v1/operator/sms/signatures');
  const [reason, setReason] = useState('');
  return (
    <Table
      rowKey="tenant_id"
      size="small"
      pagination={false}
      dataSource={list.data?.items ?? []}
      locale={{ emptyText: t('op.noSignatures') }}
      columns={[
        { title: t('operator.tenant'), dataIndex: 'tenant_id' },
        { title: t('settings.signature'), render: (_, s) => `【${s.signature ?? ''}】` },
        { title: t('company.requestedAt'), render: (_, s) => dateTime(s.requested_at) },
        {
          title: '',
          render: (_, s) => (
            <Space>
              <Button size="small" type="primary" onClick={() => act(() => api.post(`/api/v1/operator/sms/signatures/${s.tenant_id}/approve`, {}), list.reload)}>
                {t('op.approve')}
              </Button>
              <Popconfirm
                title={<Input placeholder={t('company.reason')} aria-label={t('company.reason')} onChange={(e) => setReason(e.target.value)} />}
                onConfirm={() => act(() => api.post(`/api/v1/operator/sms/signatures/${s.tenant_id}/reject`, { reason }), list.reload)}
              >
                <Button size="small" danger>{t('op.reject')}</Button>
              </Popconfirm>
            </Space>
          ),
        },
      ]}
    />
  );
}

function Announcements() {
  const { t } = useI18n();
  const act = useAction();
  const list = useApi<ListPage<{ id: number; title: string; published_at: string; tenants: number; reads: number }>>('/api/v1/operator/announcements');
  const tenants = useApi<ListPage<{ id: number; name: string }>>('/api/v1/operator/tenants', { limit: 200 });
  const [form] = Form.useForm();
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={14}>
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: t('company.noAnnouncements') }}
          columns={[
            { title: t('op.title'), dataIndex: 'title' },
            { title: t('op.publishedAt'), render: (_, a) => dateTime(a.published_at) },
            { title: t('op.reads'), render: (_, a) => `${a.reads} / ${a.tenants}` },
          ]}
        />
      </Col>
      <Col xs={24} lg={10}>
        <Card size="small" title={t('op.publish')}>
          <Form form={form} layout="vertical"
            onFinish={(v) => act(() => api.post('/api/v1/operator/announcements', v, newIdempotencyKey()), () => { form.resetFields(); list.reload(); })}>
            <Form.Item name="title" label={t('op.title')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
            <Form.Item name="body" label={t('company.body')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea rows={4} /></Form.Item>
            <Form.Item name="tenant_ids" label={t('op.audience')} extra={t('op.audienceHint')}>
              <Select mode="multiple" allowClear options={(tenants.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))} />
            </Form.Item>
            <Button type="primary" htmlType="submit">{t('op.publish')}</Button>
          </Form>
        </Card>
      </Col>
    </Row>
  );
}

function Inbox() {
  const { t } = useI18n();
  const act = useAction();
  const threads = useApi<ListPage<{ id: number; tenant_slug: string; subject: string; status: string; updated_at: string }>>('/api/v1/operator/support/threads');
  const [open, setOpen] = useState<number | null>(null);
  const thread = useApi<{ messages: Array<{ id: number; author_kind: string; author_name: string; body: string; created_at: string }> }>(
    open ? `/api/v1/operator/support/threads/${open}` : null,
  );
  const [reply, setReply] = useState('');
  return (
    <List
      bordered
      dataSource={threads.data?.items ?? []}
      locale={{ emptyText: t('company.noThreads') }}
      renderItem={(th) => (
        <List.Item
          actions={[
            <Button key="o" size="small" onClick={() => setOpen(open === th.id ? null : th.id)}>{open === th.id ? t('company.close') : t('company.open')}</Button>,
            th.status !== 'closed' ? (
              <Button key="c" size="small" onClick={() => act(() => api.post(`/api/v1/operator/support/threads/${th.id}/close`), threads.reload)}>{t('op.closeThread')}</Button>
            ) : null,
          ]}
        >
          <Space direction="vertical" style={{ width: '100%' }}>
            <Space><Tag>{th.tenant_slug}</Tag>{th.subject}<Tag>{t(`thread.status.${th.status}` as MessageKey)}</Tag><small>{dateTime(th.updated_at)}</small></Space>
            {open === th.id && thread.data?.messages.map((m) => (
              <Card key={m.id} size="small" title={`${m.author_name} · ${dateTime(m.created_at)}`}>
                <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{m.body}</Typography.Paragraph>
              </Card>
            ))}
            {open === th.id && (
              <Space.Compact style={{ width: '100%' }}>
                <Input value={reply} onChange={(e) => setReply(e.target.value)} placeholder={t('company.reply')} aria-label={t('company.reply')} />
                <Button type="primary" disabled={!reply.trim()}
                  onClick={() => act(() => api.post(`/api/v1/operator/support/threads/${th.id}/messages`, { body: reply.trim() }), () => { setReply(''); thread.reload(); threads.reload(); })}>
                  {t('sms.send')}
                </Button>
              </Space.Compact>
            )}
          </Space>
        </List.Item>
      )}
    />
  );
}

function Incidents() {
  const { t, locale } = useI18n();
  const list = useApi<ListPage<{ id: number; tenant_slug: string; kind: string; scope: string; affected_users: number; note: string; status: string; liability_cap_fen: number | null; created_at: string }>>('/api/v1/operator/incidents');
  return (
    <Table
      rowKey="id"
      size="small"
      pagination={false}
      scroll={{ x: 'max-content' }}
      dataSource={list.data?.items ?? []}
      locale={{ emptyText: t('op.noIncidents') }}
      columns={[
        { title: t('account.when'), render: (_, i) => dateTime(i.created_at) },
        { title: t('operator.tenant'), dataIndex: 'tenant_slug' },
        { title: t('billing.kind'), dataIndex: 'kind' },
        { title: t('op.affectedUsers'), dataIndex: 'affected_users' },
        { title: t('company.body'), dataIndex: 'note' },
        { title: t('op.liabilityCap'), render: (_, i) => (i.liability_cap_fen === null ? '—' : yuan(i.liability_cap_fen, locale)) },
      ]}
    />
  );
}

function Exports() {
  const { t } = useI18n();
  const list = useApi<ListPage<{ id: number; tenant_slug: string; status: string; requested_at: string; finished_at: string | null; bytes: number | null }>>('/api/v1/operator/exports');
  return (
    <Table
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={list.data?.items ?? []}
      locale={{ emptyText: t('company.noExports') }}
      columns={[
        { title: t('operator.tenant'), dataIndex: 'tenant_slug' },
        { title: t('opportunity.status'), render: (_, x) => <Tag>{t(`export.status.${x.status}` as MessageKey)}</Tag> },
        { title: t('company.requestedAt'), render: (_, x) => dateTime(x.requested_at) },
        { title: t('op.finishedAt'), render: (_, x) => dateTime(x.finished_at) },
      ]}
    />
  );
}

function Purges() {
  const { t } = useI18n();
  const act = useAction();
  const q = useApi<{ upcoming: Array<{ tenant_id: number; slug: string; purge_on: string; manual_purge_allowed: boolean }>; done: Array<{ tenant_id: number; slug: string; purged_at: string; report: Record<string, unknown> }> }>('/api/v1/operator/purges');
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <Card size="small" title={t('op.purgeUpcoming')}>
        <Table
          rowKey="tenant_id"
          size="small"
          pagination={false}
          dataSource={q.data?.upcoming ?? []}
          locale={{ emptyText: t('op.noPurges') }}
          columns={[
            { title: t('operator.tenant'), dataIndex: 'slug' },
            { title: t('op.purgeOn'), dataIndex: 'purge_on' },
            {
              title: '',
              render: (_, p) =>
                p.manual_purge_allowed ? (
                  <Popconfirm title={t('op.purgeConfirm', { slug: p.slug })} okButtonProps={{ danger: true }}
                    onConfirm={() => act(() => api.post(`/api/v1/operator/tenants/${p.tenant_id}/purge`, undefined, newIdempotencyKey()), q.reload)}>
                    <Button size="small" danger>{t('op.purgeNow')}</Button>
                  </Popconfirm>
                ) : null,
            },
          ]}
        />
      </Card>
      <Card size="small" title={t('op.purgeDone')}>
        <Table
          rowKey="tenant_id"
          size="small"
          pagination={false}
          dataSource={q.data?.done ?? []}
          locale={{ emptyText: t('op.noPurges') }}
          expandable={{ expandedRowRender: (p) => <pre style={{ margin: 0 }}>{JSON.stringify(p.report, null, 2)}</pre> }}
          columns={[
            { title: t('operator.tenant'), dataIndex: 'slug' },
            { title: t('op.purgedAt'), render: (_, p) => dateTime(p.purged_at) },
          ]}
        />
      </Card>
    </Space>
  );
}

export default function Service() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  return (
    <>
      <div className="page-title">
        <h1>{t('op.service')}</h1>
      </div>
      <Tabs
        activeKey={params.get('tab') || 'signatures'}
        onChange={(k) => setParams({ tab: k }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'signatures', label: t('op.tab.signatures'), children: <Signatures /> },
          { key: 'announcements', label: t('op.tab.announcements'), children: <Announcements /> },
          { key: 'inbox', label: t('op.tab.inbox'), children: <Inbox /> },
          { key: 'incidents', label: t('op.tab.incidents'), children: <Incidents /> },
          { key: 'exports', label: t('op.tab.exports'), children: <Exports /> },
          { key: 'purges', label: t('op.tab.purges'), children: <Purges /> },
        ]}
      />
    </>
  );
}
