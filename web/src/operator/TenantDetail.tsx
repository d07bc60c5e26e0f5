// One tenant as the operator sees it: its lifecycle timeline, orders and payments as events,
// the notice register (with postal and phone notices recorded here, deemed delivered as the
// contract says), the liability cap, and termination for breach. Never its CRM records.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { Alert, App, Button, Card, Col, DatePicker, Descriptions, Form, Input, Popconfirm, Row, Select, Skeleton, Statistic, Tabs, Tag, Timeline } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, newIdempotencyKey, yuan, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { NoticeTable, type Notice } from '../components/NoticeTable';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import type { TenantMeta } from '../types';

interface Event {
  id: number;
  at: string;
  kind: string;
  detail: Record<string, unknown>;
}

function Notices({ tenantId }: { tenantId: number }) {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const notices = useApi<ListPage<Notice>>(`/api/v1/operator/tenants/${tenantId}/notices`, { limit: 100 });
  const [form] = Form.useForm<{ channel: string; kind: string; recipient: string; subject: string; sent_at: Dayjs; evidence: string; body?: string }>();
  const record = async (v: { channel: string; kind: string; recipient: string; subject: string; sent_at: Dayjs; evidence: string; body?: string }) => {
    try {
      await api.post(`/api/v1/operator/tenants/${tenantId}/notices`, { ...v, sent_at: v.sent_at.format('YYYY-MM-DDTHH:mm:ssZ') });
      form.resetFields();
      notices.reload();
      message.success(t('op.noticeRecorded'));
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <>
      <ErrorAlert error={notices.error} onRetry={notices.reload} />
      <NoticeTable notices={notices.data?.items ?? []} withEvidence />
      <Card size="small" title={t('op.recordNotice')} style={{ marginTop: 16, maxWidth: 720 }}>
        <Alert type="info" showIcon title={t('op.deemedRule')} style={{ marginBottom: 12 }} />
        <Form form={form} layout="vertical" onFinish={record} initialValues={{ channel: 'mail', kind: 'general', sent_at: dayjs() }}>
          <Row gutter={12}>
            <Col xs={24} md={8}>
              <Form.Item name="channel" label={t('billing.channel')}>
                <Select options={['mail', 'phone'].map((c) => ({ value: c, label: t(`channel.${c}` as MessageKey) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="kind" label={t('op.noticeKind')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="sent_at" label={t('billing.sentAt')} rules={[{ required: true, message: t('form.required') }]}>
                <DatePicker showTime style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="recipient" label={t('op.recipient')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Form.Item name="subject" label={t('billing.noticeSubject')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Form.Item name="body" label={t('company.body')}><Input.TextArea rows={3} /></Form.Item>
          <Form.Item name="evidence" label={t('op.evidence')} extra={t('op.evidenceHint')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Button type="primary" htmlType="submit">{t('op.recordNotice')}</Button>
        </Form>
      </Card>
    </>
  );
}

export default function TenantDetail() {
  const { t, err, locale } = useI18n();
  const { message } = App.useApp();
  const id = Number(useParams().id);
  const tenant = useApi<TenantMeta>(`/api/v1/operator/tenants/${id}`);
  const timeline = useApi<ListPage<Event>>(`/api/v1/operator/tenants/${id}/timeline`);
  const cap = useApi<{ cap_fen: number; months: number; at: string }>(`/api/v1/operator/tenants/${id}/liability-cap`);
  const [reason, setReason] = useState('');

  const terminate = async () => {
    try {
      await api.post(`/api/v1/operator/tenants/${id}/terminate`, { reason }, newIdempotencyKey());
      message.success(t('op.terminated'));
      tenant.reload();
      timeline.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  if (tenant.error) return <ErrorAlert error={tenant.error} onRetry={tenant.reload} />;
  if (!tenant.data) return <Skeleton active />;
  const x = tenant.data;
  return (
    <>
      <div className="page-title">
        <h1>
          {x.name} <small style={{ color: '#595959' }}>{x.slug}</small> <Tag>{t(`state.${x.state}` as MessageKey)}</Tag>
        </h1>
        <Link to="/operator/tenants">← {t('operator.tenants')}</Link>
      </div>
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        <Col xs={12} md={6}><Card><Statistic title={t('operator.seats')} value={`${x.active_users} / ${x.seats}`} /></Card></Col>
        <Col xs={12} md={6}><Card><Statistic title={t('op.users')} value={x.users} /></Card></Col>
        <Col xs={12} md={6}><Card><Statistic title={t('op.liabilityCap')} value={cap.data ? yuan(cap.data.cap_fen, locale) : '…'} /></Card></Col>
        <Col xs={12} md={6}><Card><Statistic title={t('common.createdAt')} value={dateTime(x.created_at)} /></Card></Col>
      </Row>
      <Tabs
        items={[
          {
            key: 'timeline',
            label: t('op.timeline'),
            children: (
              <Timeline
                items={(timeline.data?.items ?? []).map((e) => ({
                  key: e.id,
                  children: (
                    <>
                      <Tag>{e.kind}</Tag> {dateTime(e.at)}
                      <Descriptions size="small" column={1}>
                        {Object.entries(e.detail).map(([k, v]) => (
                          <Descriptions.Item key={k} label={k}>
                            {k.endsWith('_fen') && typeof v === 'number' ? yuan(v, locale) : String(v)}
                          </Descriptions.Item>
                        ))}
                      </Descriptions>
                    </>
                  ),
                }))}
              />
            ),
          },
          { key: 'notices', label: t('billing.tab.notices'), children: <Notices tenantId={id} /> },
          {
            key: 'breach',
            label: t('op.breach'),
            children: (
              <Card size="small" style={{ maxWidth: 640 }}>
                <Alert type="error" showIcon title={t('op.breachExplain')} style={{ marginBottom: 12 }} />
                <Input.TextArea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('company.reason')} aria-label={t('company.reason')} />
                <Popconfirm title={t('op.terminateConfirm', { name: x.name })} okButtonProps={{ danger: true }} onConfirm={terminate} disabled={!reason.trim()}>
                  <Button danger style={{ marginTop: 12 }} disabled={!reason.trim() || x.state === 'terminated' || x.state === 'purged'}>
                    {t('op.terminate')}
                  </Button>
                </Popconfirm>
              </Card>
            ),
          },
        ]}
      />
    </>
  );
}
