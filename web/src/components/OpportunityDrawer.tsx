// One opportunity: its figures (name, amount and expected close editable), and every stage and
// status change it went through.
import { useEffect, useState } from 'react';
import { App, Button, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Skeleton, Space, Tag, Timeline } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { Link } from 'react-router';
import { api, toFen, yuan, type ListPage } from '../api';
import { date, dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import type { Opportunity } from '../types';
import { ErrorAlert } from './ErrorAlert';

interface Change {
  id: number;
  at: string;
  from_stage: { id: number; name: string } | null;
  to_stage: { id: number; name: string } | null;
  from_status: string | null;
  to_status: string;
}

export function OpportunityDrawer({ opportunity, onClose, onSaved }: { opportunity: Opportunity | null; onClose: () => void; onSaved?: () => void }) {
  const { t, err, locale } = useI18n();
  const { message } = App.useApp();
  const history = useApi<ListPage<Change>>(opportunity ? `/api/v1/opportunities/${opportunity.id}/history` : null);
  const [editing, setEditing] = useState(false);
  const [form] = Form.useForm<{ name: string; amount: number; expected_close_date: Dayjs | null }>();
  const o = opportunity;
  useEffect(() => {
    setEditing(false);
    if (o) form.setFieldsValue({ name: o.name, amount: o.amount_fen / 100, expected_close_date: o.expected_close_date ? dayjs(o.expected_close_date) : null });
  }, [o, form]);
  const save = async (v: { name: string; amount: number; expected_close_date: Dayjs | null }) => {
    if (!o) return;
    try {
      await api.patch(`/api/v1/opportunities/${o.id}`, {
        name: v.name,
        amount_fen: toFen(v.amount),
        expected_close_date: v.expected_close_date ? v.expected_close_date.format('YYYY-MM-DD') : null,
      });
      message.success(t('common.saved'));
      onSaved?.();
      onClose();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <Drawer open={o !== null} onClose={onClose} title={o?.name} size={480} destroyOnHidden
      extra={o && !editing ? <Button onClick={() => setEditing(true)}>{t('common.edit')}</Button> : undefined}>
      {o && editing && (
        <Form form={form} layout="vertical" onFinish={save} style={{ marginBottom: 16 }}>
          <Form.Item name="name" label={t('opportunity.name')} rules={[{ required: true, message: t('form.required') }]}><Input maxLength={200} /></Form.Item>
          <Form.Item name="amount" label={t('opportunity.amount')} rules={[{ required: true, message: t('form.required') }]}>
            <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="expected_close_date" label={t('opportunity.expectedClose')}><DatePicker style={{ width: '100%' }} /></Form.Item>
          <Space>
            <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
            <Button type="primary" htmlType="submit">{t('common.save')}</Button>
          </Space>
        </Form>
      )}
      {o && (
        <>
          <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('opportunity.customer')}><Link to={`/customers/${o.customer.id}`}>{o.customer.name}</Link></Descriptions.Item>
            <Descriptions.Item label={t('opportunity.amount')}>{yuan(o.amount_fen, locale)}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.weighted')}>{yuan(o.weighted_amount_fen, locale)}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.stage')}>{`${o.stage.name} (${o.stage.probability}%)`}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.status')}><Tag>{t(`opportunity.status.${o.status}`)}</Tag>{o.lost_reason}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.owner')}>{o.owner.name}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.expectedClose')}>{date(o.expected_close_date)}</Descriptions.Item>
          </Descriptions>
          <h3>{t('opportunity.history')}</h3>
          <ErrorAlert error={history.error} onRetry={history.reload} />
          {history.loading && !history.data ? (
            <Skeleton active />
          ) : (
            <Timeline
              items={(history.data?.items ?? []).map((h) => ({
                key: h.id,
                children: (
                  <>
                    <div>
                      {h.from_stage ? `${h.from_stage.name} → ` : ''}
                      {h.to_stage?.name}
                      {h.from_status !== h.to_status && <Tag style={{ marginInlineStart: 8 }}>{t(`opportunity.status.${h.to_status as 'open' | 'won' | 'lost'}`)}</Tag>}
                    </div>
                    <small style={{ color: '#666' }}>{dateTime(h.at)}</small>
                  </>
                ),
              }))}
            />
          )}
        </>
      )}
    </Drawer>
  );
}
