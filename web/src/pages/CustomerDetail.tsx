// One customer: overview with a quick follow-up (its next time makes a reminder) and the
// timeline, contacts, opportunities, attachments (upload with progress, the quota shown) and
// SMS. Claim, return to the pool, merge and delete are here, each confirmed first.
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  App,
  Button,
  Card,
  Col,
  DatePicker,
  Descriptions,
  Drawer,
  Dropdown,
  Empty,
  Form,
  Input,
  Row,
  Select,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Timeline,
} from 'antd';
import { EditOutlined, MoreOutlined, PlusOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { api, yuan, type ListPage } from '../api';
import { Attachments } from '../components/Attachments';
import { ContactForm } from '../components/ContactForm';
import { ContactTable } from '../components/ContactTable';
import { CustomerPicker } from '../components/CustomerPicker';
import { CustomerForm } from '../components/CustomerForm';
import { CustomFieldValue, useCustomFields } from '../components/CustomFields';
import { ErrorAlert } from '../components/ErrorAlert';
import { OpportunityDrawer } from '../components/OpportunityDrawer';
import { OpportunityForm } from '../components/OpportunityForm';
import { useReturnToPool } from '../components/ReturnToPool';
import { SmsCompose } from '../components/SmsCompose';
import { date, dateTime, toRfc3339 } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import type { Contact, Customer, Opportunity, TimelineEvent } from '../types';

const followUpTypes = ['call', 'visit', 'wechat', 'email', 'sms', 'other'] as const;

function FollowUpForm({ customerId, contacts, onSaved }: { customerId: number; contacts: Contact[]; onSaved: () => void }) {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ type: string; content: string; contact_id?: number; next_at?: Dayjs }>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { type: string; content: string; contact_id?: number; next_at?: Dayjs }) => {
    setBusy(true);
    try {
      await api.post('/api/v1/follow-ups', {
        customer_id: customerId,
        type: v.type,
        content: v.content,
        contact_id: v.contact_id ?? null,
        next_at: toRfc3339(v.next_at),
      });
      form.resetFields();
      message.success(v.next_at ? t('followUp.savedWithReminder') : t('followUp.saved'));
      onSaved();
    } catch (e) {
      message.error(err(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form form={form} layout="vertical" onFinish={submit} initialValues={{ type: 'call' }} aria-label={t('followUp.add')}>
      <Space wrap align="start">
        <Form.Item name="type" label={t('followUp.type')}>
          <Select style={{ width: 120 }} options={followUpTypes.map((v) => ({ value: v, label: t(`followUp.type.${v}`) }))} />
        </Form.Item>
        <Form.Item name="contact_id" label={t('followUp.contact')}>
          <Select allowClear style={{ width: 140 }} options={contacts.map((c) => ({ value: c.id, label: c.name }))} />
        </Form.Item>
        <Form.Item name="next_at" label={t('followUp.nextAt')}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
        </Form.Item>
      </Space>
      <Form.Item name="content" label={t('followUp.content')} rules={[{ required: true, message: t('form.required') }]}>
        <Input.TextArea rows={3} maxLength={5000} placeholder={t('followUp.placeholder')} />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy}>
        {t('followUp.add')}
      </Button>
    </Form>
  );
}

function describe(e: TimelineEvent, t: (k: MessageKey, v?: Record<string, string | number>) => string): string {
  const d = e.data as Record<string, string | number | null>;
  switch (e.kind) {
    case 'follow_up':
      return `${t(`followUp.type.${String(d.type)}` as MessageKey)}：${d.content ?? ''}`;
    case 'stage_changed':
      return t('timeline.stage_changed', { name: String(d.name ?? ''), from: String(d.from_stage ?? ''), to: String(d.to_stage ?? '') });
    case 'assigned':
      return t('timeline.assigned', { name: String(d.to_name ?? '') });
    case 'returned':
      return t('timeline.returned', { reason: String(d.reason ?? '') });
    case 'attachment.upload':
    case 'attachment.delete':
    case 'contact_added':
    case 'opportunity_created':
      return t(`timeline.${e.kind}` as MessageKey, { name: String(d.filename ?? d.name ?? '') });
    default: {
      const key = `timeline.${e.kind}` as MessageKey;
      const text = t(key, { name: String(d.name ?? '') });
      return text === key ? e.kind : text;
    }
  }
}

function CustomerTimeline({ id }: { id: number }) {
  const { t } = useI18n();
  const events = useApi<ListPage<TimelineEvent>>(`/api/v1/customers/${id}/timeline`, { limit: 50 });
  if (events.loading && !events.data) return <Skeleton active />;
  return (
    <>
      <ErrorAlert error={events.error} onRetry={events.reload} />
      {events.data?.items.length ? (
        <Timeline
          items={events.data.items.map((e) => ({
            key: e.id,
            children: (
              <>
                <div>{describe(e, t)}</div>
                <small style={{ color: '#595959' }}>
                  {dateTime(e.at)} · {e.actor?.name ?? t('timeline.system')}
                </small>
              </>
            ),
          }))}
        />
      ) : (
        <Empty description={t('timeline.empty')} />
      )}
    </>
  );
}

function Contacts({ customerId, contacts, onChanged }: { customerId: number; contacts: Contact[]; onChanged: () => void }) {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  return (
    <>
      <ContactTable
        contacts={contacts}
        onEdit={setEditing}
        onDelete={async (c) => {
          try {
            await api.del(`/api/v1/contacts/${c.id}`);
            onChanged();
          } catch (e) {
            message.error(err(e));
          }
        }}
      />
      <Button style={{ marginTop: 12 }} onClick={() => setEditing('new')}>{t('contact.add')}</Button>
      <ContactForm
        customerId={customerId}
        contact={editing === 'new' || editing === null ? undefined : editing}
        open={editing !== null}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          onChanged();
        }}
      />
    </>
  );
}

function Opportunities({ customerId }: { customerId: number }) {
  const { t, locale } = useI18n();
  const opps = useApi<ListPage<Opportunity>>('/api/v1/opportunities', { customer_id: customerId, limit: 100 });
  const [creating, setCreating] = useState(false);
  const [opened, setOpened] = useState<Opportunity | null>(null);
  return (
    <>
      <ErrorAlert error={opps.error} onRetry={opps.reload} />
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} style={{ marginBottom: 12 }}>{t('opportunity.new')}</Button>
      <Table<Opportunity>
        rowKey="id"
        size="small"
        pagination={false}
        loading={opps.loading}
        dataSource={opps.data?.items ?? []}
        locale={{ emptyText: t('opportunity.empty') }}
        columns={[
          { title: t('opportunity.name'), render: (_, o) => <Button type="link" style={{ padding: 0 }} onClick={() => setOpened(o)}>{o.name}</Button> },
          { title: t('opportunity.amount'), render: (_, o) => yuan(o.amount_fen, locale) },
          { title: t('opportunity.stage'), render: (_, o) => `${o.stage.name} (${o.stage.probability}%)` },
          { title: t('opportunity.status'), render: (_, o) => <Tag>{t(`opportunity.status.${o.status}`)}</Tag> },
          { title: t('opportunity.expectedClose'), render: (_, o) => date(o.expected_close_date) },
        ]}
      />
      <Drawer open={creating} onClose={() => setCreating(false)} title={t('opportunity.new')} size={480} destroyOnHidden>
        <OpportunityForm customerId={customerId} onCancel={() => setCreating(false)} onDone={() => { setCreating(false); opps.reload(); }} />
      </Drawer>
      <OpportunityDrawer opportunity={opened} onClose={() => setOpened(null)} onSaved={opps.reload} />
    </>
  );
}

export default function CustomerDetail() {
  const { t, err } = useI18n();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const id = Number(useParams().id);
  const customer = useApi<Customer>(`/api/v1/customers/${id}`);
  const contacts = useApi<ListPage<Contact>>('/api/v1/contacts', { customer_id: id, limit: 200 });
  const askReturn = useReturnToPool();
  const customFields = useCustomFields('customer');
  const [editing, setEditing] = useState(false);
  const [version, setVersion] = useState(0);
  const changed = () => {
    setVersion((v) => v + 1);
    customer.reload();
    contacts.reload(); // a merge brings the other customer's contacts
  };

  if (customer.error) return <ErrorAlert error={customer.error} onRetry={customer.reload} />;
  if (!customer.data) return <Skeleton active />;
  const c = customer.data;

  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      message.success(done);
      changed();
    } catch (e) {
      message.error(err(e));
    }
  };

  const returnToPool = () =>
    askReturn(t('pool.returnTitle', { name: c.name }), (send) => act(() => send(id), t('pool.returned')));

  const merge = () => {
    let from = 0;
    modal.confirm({
      title: t('merge.title', { name: c.name }),
      content: (
        <>
          <p>{t('merge.explain')}</p>
          <CustomerPicker exclude={id} onChange={(v) => (from = v)} />
        </>
      ),
      onOk: () => (from ? act(() => api.post(`/api/v1/customers/${id}/merge`, { from_id: from }), t('merge.done')) : undefined),
    });
  };

  const remove = () =>
    modal.confirm({
      title: t('customer.deleteTitle', { name: c.name }),
      content: t('customer.deleteExplain'),
      okButtonProps: { danger: true },
      okText: t('common.delete'),
      onOk: async () => {
        try {
          await api.del(`/api/v1/customers/${id}`);
          message.success(t('customer.deleted'));
          navigate('/customers');
        } catch (e) {
          message.error(err(e));
        }
      },
    });

  return (
    <>
      <div className="page-title">
        <h1>
          {c.name} {c.level && <Tag color="gold">{c.level}</Tag>} {c.status && <Tag>{c.status}</Tag>}
          {c.in_pool && <Tag color="purple">{t('customer.inPool')}</Tag>}
        </h1>
        {c.in_pool ? (
          <Button type="primary" onClick={() => act(() => api.post(`/api/v1/customers/${id}/claim`), t('pool.claimed'))}>
            {t('pool.claim')}
          </Button>
        ) : (
          <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>
            {t('common.edit')}
          </Button>
        )}
        <Dropdown
          menu={{
            items: [
              ...(!c.in_pool ? [{ key: 'return', label: t('pool.return') }] : []),
              { key: 'merge', label: t('merge.action') },
              { type: 'divider' as const },
              { key: 'delete', label: t('common.delete'), danger: true },
            ],
            onClick: ({ key }) => (key === 'return' ? returnToPool() : key === 'merge' ? merge() : remove()),
          }}
        >
          <Button icon={<MoreOutlined />} aria-label={t('common.more')} />
        </Dropdown>
      </div>
      <Tabs
        items={[
          {
            key: 'overview',
            label: t('customer.tab.overview'),
            children: (
              <Row gutter={[16, 16]}>
                <Col xs={24} lg={10}>
                  <Card>
                    <Descriptions column={1} size="small">
                      <Descriptions.Item label={t('customer.owner')}>{c.owner?.name ?? t('customer.inPool')}</Descriptions.Item>
                      <Descriptions.Item label={t('customer.phones')}>{c.phones.join(', ') || '—'}</Descriptions.Item>
                      <Descriptions.Item label={t('customer.industry')}>{c.industry || '—'}</Descriptions.Item>
                      <Descriptions.Item label={t('customer.source')}>{c.source || '—'}</Descriptions.Item>
                      <Descriptions.Item label={t('customer.address')}>
                        {[c.province, c.city, c.address].filter(Boolean).join(' ') || '—'}
                      </Descriptions.Item>
                      <Descriptions.Item label={t('customer.tags')}>{c.tags.map((x) => <Tag key={x}>{x}</Tag>)}</Descriptions.Item>
                      <Descriptions.Item label={t('customer.lastFollowUp')}>{dateTime(c.last_follow_up_at)}</Descriptions.Item>
                      <Descriptions.Item label={t('customer.nextFollowUp')}>{dateTime(c.next_follow_up_at)}</Descriptions.Item>
                      {customFields.map((f) => (
                        <Descriptions.Item key={f.key} label={f.label}>
                          <CustomFieldValue field={f} value={c.custom[f.key]} />
                        </Descriptions.Item>
                      ))}
                      <Descriptions.Item label={t('customer.notes')}>{c.notes || '—'}</Descriptions.Item>
                    </Descriptions>
                  </Card>
                </Col>
                <Col xs={24} lg={14}>
                  {!c.in_pool && (
                    <Card title={t('followUp.add')} style={{ marginBottom: 16 }}>
                      <FollowUpForm customerId={id} contacts={contacts.data?.items ?? []} onSaved={changed} />
                    </Card>
                  )}
                  <Card title={t('customer.tab.timeline')}>
                    <CustomerTimeline key={version} id={id} />
                  </Card>
                </Col>
              </Row>
            ),
          },
          {
            key: 'contacts',
            label: t('customer.tab.contacts', { count: contacts.data?.items.length ?? 0 }),
            children: <Contacts customerId={id} contacts={contacts.data?.items ?? []} onChanged={changed} />,
          },
          { key: 'opportunities', label: t('customer.tab.opportunities'), children: <Opportunities customerId={id} /> },
          { key: 'attachments', label: t('customer.tab.attachments'), children: <Attachments entity="customer" entityId={id} onChanged={changed} /> },
          { key: 'sms', label: t('customer.tab.sms'), children: <SmsCompose customerId={id} contacts={contacts.data?.items ?? []} /> },
        ]}
      />
      <p>
        <Link to="/customers">← {t('nav.customers')}</Link>
      </p>
      <CustomerForm
        open={editing}
        customer={c}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          changed();
        }}
      />
    </>
  );
}
