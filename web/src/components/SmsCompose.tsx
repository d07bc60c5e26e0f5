// SMS to a customer's contact: a live preview of the message as sent (signature, the opt-out
// text of marketing messages), its characters, segments and points, sensitive words marked,
// and when marketing messages go out. Below, what was sent to this customer and its status.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Input, Radio, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { api, newIdempotencyKey, type ListPage } from '../api';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import type { Contact } from '../types';
import { ErrorAlert } from './ErrorAlert';

interface Preview {
  message: string;
  characters: number;
  segments: number;
  points: number;
  sensitive_words: string[];
  sendable: boolean;
  marketing_window: string;
}

interface Sent {
  id: number;
  phone: string;
  content: string;
  points: number;
  status: string;
  scheduled_for: string | null;
  created_at?: string;
  accepted_at: string | null;
  delivery: string | null;
}

interface Template {
  id: number;
  name: string;
  body: string;
  type: 'notification' | 'marketing';
}

// The message with each sensitive word marked.
function Marked({ text, words }: { text: string; words: string[] }) {
  const parts = useMemo(() => {
    if (!words.length) return [text];
    const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return text.split(new RegExp(`(${escaped.join('|')})`, 'gi'));
  }, [text, words]);
  return (
    <>
      {parts.map((p, i) =>
        words.some((w) => w.toLowerCase() === p.toLowerCase()) ? (
          <mark key={i} style={{ background: '#ffccc7', color: '#a8071a' }}>{p}</mark>
        ) : (
          <span key={i}>{p}</span>
        ),
      )}
    </>
  );
}

export function SmsCompose({ customerId, contacts }: { customerId: number; contacts: Contact[] }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const withMobile = contacts.filter((c) => c.mobile);
  const [contactId, setContactId] = useState<number | undefined>(withMobile[0]?.id);
  const [type, setType] = useState<'notification' | 'marketing'>('notification');
  const [text, setText] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>();
  const [sendError, setSendError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const sent = useApi<ListPage<Sent>>(`/api/v1/customers/${customerId}/sms`, { limit: 50 });
  const templates = useApi<ListPage<Template>>('/api/v1/sms/templates');

  useEffect(() => {
    if (!contactId && withMobile[0]) setContactId(withMobile[0].id);
  }, [contactId, withMobile]);

  useEffect(() => {
    if (!text.trim()) {
      setPreview(null);
      return;
    }
    const timer = setTimeout(() => {
      api
        .post<Preview>('/api/v1/sms/preview', { text, type })
        .then((p) => {
          setPreview(p);
          setPreviewError(undefined);
        })
        .catch(setPreviewError);
    }, 250);
    return () => clearTimeout(timer);
  }, [text, type]);

  const send = async () => {
    if (!contactId) return;
    setBusy(true);
    setSendError(undefined);
    try {
      const r = await api.post<{ scheduled_for: string | null; created_at: string }>(
        `/api/v1/contacts/${contactId}/sms`,
        { text, type },
        newIdempotencyKey(),
      );
      // A message queued for later (marketing outside its window) says when it goes out.
      const later = r.scheduled_for && Date.parse(r.scheduled_for) - Date.parse(r.created_at) > 60_000;
      message.success(later ? t('sms.scheduled', { at: dateTime(r.scheduled_for) }) : t('sms.sent'));
      setText('');
      sent.reload();
    } catch (e) {
      setSendError(e);
    } finally {
      setBusy(false);
    }
  };

  const window = preview?.marketing_window?.replace('-', '–');
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <Card title={t('sms.compose')}>
          {withMobile.length === 0 ? (
            <Alert type="info" showIcon title={t('sms.noMobile')} />
          ) : (
            <Space direction="vertical" style={{ width: '100%' }}>
              <Select
                style={{ width: '100%' }}
                aria-label={t('sms.to')}
                value={contactId}
                onChange={setContactId}
                options={withMobile.map((c) => ({ value: c.id, label: `${c.name} · ${c.mobile}` }))}
              />
              <Radio.Group
                value={type}
                onChange={(e) => setType(e.target.value)}
                options={[
                  { value: 'notification', label: t('sms.type.notification') },
                  { value: 'marketing', label: t('sms.type.marketing') },
                ]}
              />
              {templates.data && templates.data.items.length > 0 && (
                <Select
                  allowClear
                  style={{ width: '100%' }}
                  placeholder={t('sms.template')}
                  aria-label={t('sms.template')}
                  onChange={(id?: number) => {
                    const tpl = templates.data?.items.find((x) => x.id === id);
                    if (tpl) {
                      setText(tpl.body);
                      setType(tpl.type);
                    }
                  }}
                  options={templates.data.items.map((x) => ({ value: x.id, label: x.name }))}
                />
              )}
              <Input.TextArea
                rows={5}
                maxLength={500}
                showCount
                value={text}
                onChange={(e) => setText(e.target.value)}
                aria-label={t('sms.text')}
                placeholder={t('sms.text')}
              />
              <ErrorAlert error={previewError || sendError} />
              <Button type="primary" onClick={send} loading={busy} disabled={!preview || !preview.sendable || !contactId}>
                {t('sms.send')}
              </Button>
            </Space>
          )}
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('sms.preview')}>
          {preview ? (
            <>
              <div className="sms-bubble" data-testid="sms-preview">
                <Marked text={preview.message} words={preview.sensitive_words} />
              </div>
              <Descriptions size="small" column={3} style={{ marginTop: 12 }}>
                <Descriptions.Item label={t('sms.characters')}>{preview.characters}</Descriptions.Item>
                <Descriptions.Item label={t('sms.segments')}>{preview.segments}</Descriptions.Item>
                <Descriptions.Item label={t('sms.points')}>{preview.points}</Descriptions.Item>
              </Descriptions>
              <Typography.Paragraph type="secondary">{t('sms.segmentRule')}</Typography.Paragraph>
              {preview.sensitive_words.length > 0 && (
                <Alert type="error" showIcon title={t('sms.sensitive', { words: preview.sensitive_words.join('、') })} style={{ marginBottom: 8 }} />
              )}
              {type === 'marketing' && <Alert type="info" showIcon title={t('sms.window', { window: window ?? '' })} />}
            </>
          ) : (
            <Typography.Text type="secondary">{t('sms.previewEmpty')}</Typography.Text>
          )}
        </Card>
      </Col>
      <Col span={24}>
        <Card title={t('sms.history')}>
          <Table<Sent>
            rowKey="id"
            size="small"
            pagination={false}
            scroll={{ x: 'max-content' }}
            loading={sent.loading}
            dataSource={sent.data?.items ?? []}
            locale={{ emptyText: t('sms.none') }}
            columns={[
              { title: t('sms.to'), dataIndex: 'phone' },
              { title: t('sms.text'), dataIndex: 'content' },
              { title: t('sms.points'), dataIndex: 'points' },
              {
                title: t('opportunity.status'),
                render: (_, m) => (
                  <>
                    <Tag>{t(`sms.status.${m.status}` as MessageKey)}</Tag>
                    {m.delivery && <Tag color={m.delivery === 'delivered' ? 'green' : 'red'}>{t(`sms.delivery.${m.delivery}` as MessageKey)}</Tag>}
                    {m.scheduled_for && m.status === 'queued' && <small>{t('sms.waitsUntil', { at: dateTime(m.scheduled_for) })}</small>}
                  </>
                ),
              },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}
