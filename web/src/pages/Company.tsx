// The boss's company page: the audit log, the data export archive (request, progress,
// download), support-access grants, the operator's announcements, the support inbox, and the
// contract's actions (seat reduction from the next term, non-renewal notice, the
// data-confidentiality agreement). Each action says what it does before it is done.
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Alert, App, Badge, Button, Card, Collapse, Form, Input, InputNumber, List, Popconfirm, Progress, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { api, type ListPage } from '../api';
import { bytes } from '../components/Attachments';
import { CursorPager } from '../components/CursorPager';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi, useCursor } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';

interface AuditEntry {
  id: number;
  at: string;
  actor: { kind: string; id: number; name: string } | null;
  ip: string;
  action: string;
  entity: string;
  entity_id: string;
  before: unknown;
  after: unknown;
}

function AuditLog() {
  const { t } = useI18n();
  const [action, setAction] = useState('');
  const paging = useCursor();
  const log = useApi<ListPage<AuditEntry>>('/api/v1/audit-log', { action: action || undefined, limit: 50, cursor: paging.cursor });
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('company.auditAction')} aria-label={t('company.auditAction')}
          onSearch={(v) => { setAction(v.trim()); paging.reset(); }} style={{ width: 240 }} />
      </Space>
      <ErrorAlert error={log.error} onRetry={log.reload} />
      <Table<AuditEntry>
        rowKey="id"
        size="small"
        loading={log.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={log.data?.items ?? []}
        expandable={{
          rowExpandable: (e) => e.before !== null || e.after !== null,
          expandedRowRender: (e) => (
            <Space align="start" wrap>
              <pre style={{ margin: 0 }}>{t('company.before')}: {JSON.stringify(e.before, null, 2)}</pre>
              <pre style={{ margin: 0 }}>{t('company.after')}: {JSON.stringify(e.after, null, 2)}</pre>
            </Space>
          ),
        }}
        columns={[
          { title: t('account.when'), render: (_, e) => dateTime(e.at) },
          { title: t('company.actor'), render: (_, e) => e.actor?.name ?? t('timeline.system') },
          { title: t('company.action'), render: (_, e) => <Tag>{e.action}</Tag> },
          { title: t('company.entity'), render: (_, e) => `${e.entity} ${e.entity_id}` },
          { title: 'IP', dataIndex: 'ip' },
        ]}
      />
      <CursorPager paging={paging} nextCursor={log.data?.next_cursor} />
    </>
  );
}

interface ExportJob {
  id: number;
  status: string;
  requested_at: string;
  finished_at: string | null;
  expires_at: string | null;
  bytes: number | null;
}

function DataExport() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const jobs = useApi<ListPage<ExportJob>>('/api/v1/billing/exports');
  const running = (jobs.data?.items ?? []).some((j) => j.status === 'queued' || j.status === 'running');
  const reload = jobs.reload;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [running, reload]);
  const request = async () => {
    try {
      await api.post('/api/v1/billing/exports');
      message.success(t('company.exportRequested'));
      jobs.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <>
      <Alert type="info" showIcon title={t('company.exportExplain')} style={{ marginBottom: 12 }} />
      <Button type="primary" onClick={request} disabled={running} style={{ marginBottom: 12 }}>{t('company.requestExport')}</Button>
      <ErrorAlert error={jobs.error} onRetry={jobs.reload} />
      <Table<ExportJob>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={jobs.data?.items ?? []}
        locale={{ emptyText: t('company.noExports') }}
        columns={[
          { title: t('company.requestedAt'), render: (_, j) => dateTime(j.requested_at) },
          {
            title: t('opportunity.status'),
            render: (_, j) =>
              j.status === 'queued' || j.status === 'running' ? (
                <Progress percent={j.status === 'queued' ? 10 : 60} status="active" size="small" style={{ width: 160 }} aria-label={t('import.progress')} />
              ) : (
                <Tag color={j.status === 'ready' ? 'green' : j.status === 'failed' ? 'red' : 'default'}>{t(`export.status.${j.status}` as MessageKey)}</Tag>
              ),
          },
          { title: t('attachment.size'), render: (_, j) => (j.bytes ? bytes(j.bytes) : '—') },
          { title: t('company.expiresAt'), render: (_, j) => dateTime(j.expires_at) },
          {
            title: '',
            render: (_, j) => (j.status === 'ready' ? <a href={`/api/v1/billing/exports/${j.id}/download`} download>{t('company.download')}</a> : null),
          },
        ]}
      />
    </>
  );
}

interface Grant {
  id: number;
  access: string;
  reason: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  active: boolean;
}

function SupportGrants() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const grants = useApi<ListPage<Grant>>('/api/v1/support-grants');
  const [form] = Form.useForm();
  const grant = async (v: { hours: number; access: string; reason: string }) => {
    try {
      await api.post('/api/v1/support-grants', v);
      form.resetFields();
      grants.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  const revoke = async (g: Grant) => {
    try {
      await api.del(`/api/v1/support-grants/${g.id}`);
      grants.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <>
      <Alert type="info" showIcon title={t('company.grantExplain')} style={{ marginBottom: 12 }} />
      <Table<Grant>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={grants.data?.items ?? []}
        locale={{ emptyText: t('company.noGrants') }}
        columns={[
          { title: t('company.access'), render: (_, g) => <Tag>{t(`company.access.${g.access}` as MessageKey)}</Tag> },
          { title: t('company.reason'), dataIndex: 'reason' },
          { title: t('company.until'), render: (_, g) => dateTime(g.expires_at) },
          {
            title: '',
            render: (_, g) =>
              !g.active ? (
                <Tag>{g.revoked_at ? t('company.revoked') : t('company.expired')}</Tag>
              ) : (
                <Popconfirm title={t('company.revokeConfirm')} onConfirm={() => revoke(g)}>
                  <Button size="small" danger>{t('company.revoke')}</Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Form form={form} layout="inline" style={{ marginTop: 12, rowGap: 8 }} initialValues={{ hours: 24, access: 'read' }} onFinish={grant}>
        <Form.Item name="access"><Select style={{ width: 120 }} aria-label={t('company.access')} options={['read', 'write'].map((a) => ({ value: a, label: t(`company.access.${a}` as MessageKey) }))} /></Form.Item>
        <Form.Item name="hours"><InputNumber min={1} max={720} suffix={t('company.hours')} aria-label={t('company.hours')} /></Form.Item>
        <Form.Item name="reason" rules={[{ required: true, message: t('form.required') }]}><Input placeholder={t('company.reason')} aria-label={t('company.reason')} style={{ width: 260 }} /></Form.Item>
        <Button type="primary" htmlType="submit">{t('company.grant')}</Button>
      </Form>
    </>
  );
}

interface Announcement {
  id: number;
  title: string;
  body: string;
  published_at: string;
  read_at: string | null;
}

function Announcements() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const list = useApi<ListPage<Announcement> & { unread: number }>('/api/v1/announcements');
  const read = async (a: Announcement) => {
    if (a.read_at) return;
    try {
      await api.post(`/api/v1/announcements/${a.id}/read`);
      list.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  if (!list.data?.items.length) return <Typography.Text type="secondary">{t('company.noAnnouncements')}</Typography.Text>;
  return (
    <Collapse
      onChange={(keys) => (Array.isArray(keys) ? keys : [keys]).forEach((k) => { const a = list.data?.items.find((x) => String(x.id) === k); if (a) void read(a); })}
      items={list.data.items.map((a) => ({
        key: String(a.id),
        label: <Space>{!a.read_at && <Badge status="processing" />}{a.title}<small style={{ color: '#595959' }}>{dateTime(a.published_at)}</small></Space>,
        children: <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }}>{a.body}</Typography.Paragraph>,
      }))}
    />
  );
}

interface Thread {
  id: number;
  subject: string;
  status: string;
  updated_at?: string;
  created_at?: string;
  messages?: Array<{ id: number; author_kind: 'tenant' | 'operator'; author_name: string; body: string; created_at: string }>;
}

function Support() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const threads = useApi<ListPage<Thread>>('/api/v1/support/threads');
  const [open, setOpen] = useState<number | null>(null);
  const thread = useApi<Thread>(open ? `/api/v1/support/threads/${open}` : null);
  const [form] = Form.useForm();
  const [reply, setReply] = useState('');
  const write = async (v: { subject: string; body: string }) => {
    try {
      await api.post('/api/v1/support/threads', v);
      form.resetFields();
      threads.reload();
      message.success(t('company.supportSent'));
    } catch (e) {
      message.error(err(e));
    }
  };
  const send = async () => {
    if (!open || !reply.trim()) return;
    try {
      await api.post(`/api/v1/support/threads/${open}/messages`, { body: reply.trim() });
      setReply('');
      thread.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <List
        bordered
        dataSource={threads.data?.items ?? []}
        locale={{ emptyText: t('company.noThreads') }}
        renderItem={(th) => (
          <List.Item actions={[<Button key="open" size="small" onClick={() => setOpen(open === th.id ? null : th.id)}>{open === th.id ? t('company.close') : t('company.open')}</Button>]}>
            <Space direction="vertical" style={{ width: '100%' }}>
              <Space>{th.subject}<Tag>{t(`thread.status.${th.status}` as MessageKey)}</Tag></Space>
              {open === th.id && thread.data?.messages?.map((m) => (
                <Card key={m.id} size="small" title={`${m.author_kind === 'operator' ? t('company.operator') : m.author_name} · ${dateTime(m.created_at)}`}>
                  <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{m.body}</Typography.Paragraph>
                </Card>
              ))}
              {open === th.id && (
                <Space.Compact style={{ width: '100%' }}>
                  <Input value={reply} onChange={(e) => setReply(e.target.value)} placeholder={t('company.reply')} aria-label={t('company.reply')} />
                  <Button type="primary" onClick={send}>{t('sms.send')}</Button>
                </Space.Compact>
              )}
            </Space>
          </List.Item>
        )}
      />
      <Card size="small" title={t('company.newThread')}>
        <Form form={form} layout="vertical" onFinish={write}>
          <Form.Item name="subject" label={t('company.subject')} rules={[{ required: true, message: t('form.required') }]}><Input maxLength={200} /></Form.Item>
          <Form.Item name="body" label={t('company.body')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea rows={4} maxLength={5000} /></Form.Item>
          <Button type="primary" htmlType="submit">{t('sms.send')}</Button>
        </Form>
      </Card>
    </Space>
  );
}

function Contract() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const agreement = useApi<{ title: string; version: string; accepted_at: string | null }>('/api/v1/billing/agreement');
  const sub = useApi<{ seats: number; in_initial_term: boolean; non_renewal_notice: boolean; next_seats: number | null; next_seats_from: string | null; expiry: string | null }>('/api/v1/billing/subscription');
  const [seats, setSeats] = useState<number>();
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      message.success(done);
      sub.reload();
      agreement.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  const s = sub.data;
  return (
    <Space direction="vertical" style={{ width: '100%', maxWidth: 720 }} size="large">
      <Card size="small" title={t('company.agreement')}>
        <p>
          {agreement.data?.title} ({agreement.data?.version}){' '}
          {agreement.data?.accepted_at ? <Tag color="green">{t('company.acceptedAt', { at: dateTime(agreement.data.accepted_at) })}</Tag> : <Tag color="gold">{t('company.notAccepted')}</Tag>}
        </p>
        <Space>
          <a href="/api/v1/billing/agreement/document" target="_blank" rel="noreferrer">{t('company.readAgreement')}</a>
          {!agreement.data?.accepted_at && <Button type="primary" onClick={() => act(() => api.post('/api/v1/billing/agreement/accept'), t('company.agreementAccepted'))}>{t('company.acceptAgreement')}</Button>}
        </Space>
      </Card>
      <Card size="small" title={t('company.seatReduction')}>
        {s?.in_initial_term ? (
          <Alert type="info" showIcon title={t('company.noReductionInitial')} />
        ) : (
          <>
            {s?.next_seats && <p>{t('company.nextSeats', { seats: s.next_seats, from: s.next_seats_from ?? '' })}</p>}
            <Space>
              <InputNumber min={1} max={s?.seats} value={seats} onChange={(v) => setSeats(v ?? undefined)} aria-label={t('company.seatReduction')} />
              <Popconfirm title={t('company.reductionConfirm', { seats: seats ?? '' })} onConfirm={() => act(() => api.post('/api/v1/billing/seat-reduction', { seats }), t('common.saved'))}>
                <Button disabled={!seats}>{t('company.reduce')}</Button>
              </Popconfirm>
            </Space>
          </>
        )}
      </Card>
      <Card size="small" title={t('company.nonRenewal')}>
        {s?.non_renewal_notice ? (
          <Alert type="warning" showIcon title={t('company.nonRenewalGiven', { expiry: s.expiry ?? '' })} />
        ) : s?.in_initial_term ? (
          <Alert type="info" showIcon title={t('company.noNonRenewalInitial')} />
        ) : (
          <Popconfirm title={t('company.nonRenewalConfirm', { expiry: s?.expiry ?? '' })} okButtonProps={{ danger: true }}
            onConfirm={() => act(() => api.post('/api/v1/billing/non-renewal'), t('common.saved'))}>
            <Button danger>{t('company.giveNonRenewal')}</Button>
          </Popconfirm>
        )}
      </Card>
    </Space>
  );
}

export default function Company() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const unread = useApi<{ unread: number }>('/api/v1/announcements');
  return (
    <>
      <div className="page-title">
        <h1>{t('nav.company')}</h1>
      </div>
      <Tabs
        activeKey={params.get('tab') || 'audit'}
        onChange={(k) => setParams({ tab: k }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'audit', label: t('company.tab.audit'), children: <AuditLog /> },
          { key: 'export', label: t('company.tab.export'), children: <DataExport /> },
          { key: 'grants', label: t('company.tab.grants'), children: <SupportGrants /> },
          { key: 'announcements', label: <Badge count={unread.data?.unread ?? 0} size="small" offset={[8, 0]}>{t('company.tab.announcements')}</Badge>, children: <Announcements /> },
          { key: 'support', label: t('company.tab.support'), children: <Support /> },
          { key: 'contract', label: t('company.tab.contract'), children: <Contract /> },
        ]}
      />
    </>
  );
}
