// An opportunity's form, to create one on a customer or edit one: name, amount (yuan on screen,
// fen on the wire), pipeline and stage (the stage list follows the pipeline; a new pipeline
// starts at its first stage), expected close, and the tenant's opportunity custom fields.
import { useMemo, useState } from 'react';
import { App, Button, DatePicker, Form, Input, InputNumber, Select, Skeleton, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, toFen, type ListPage } from '../api';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import type { Opportunity, Pipeline } from '../types';
import { ErrorAlert } from './ErrorAlert';
import { CustomFieldItems, fromFormValues, toFormValues, useCustomFieldsState, type CustomField } from './CustomFields';

interface Values {
  name: string;
  amount: number;
  pipeline_id?: number;
  stage_id?: number;
  expected_close_date?: Dayjs | null;
  custom?: Record<string, unknown>;
}

// `opportunity` to edit it, or `customerId` to create one on that customer. The form appears
// once the pipelines and custom fields are in, with its values set then (never reset later,
// which would undo what the user already chose).
export function OpportunityForm(props: { opportunity?: Opportunity; customerId?: number; onDone: (o: Opportunity) => void; onCancel: () => void }) {
  const pipelines = useApi<ListPage<Pipeline>>('/api/v1/pipelines');
  const custom = useCustomFieldsState('opportunity');
  if (pipelines.error) return <ErrorAlert error={pipelines.error} onRetry={pipelines.reload} />;
  if (!custom.loaded || !pipelines.data) return <Skeleton active />;
  return <LoadedForm {...props} pipelines={pipelines.data.items} fields={custom.fields} />;
}

function LoadedForm({ opportunity, customerId, onDone, onCancel, pipelines, fields }: {
  opportunity?: Opportunity;
  customerId?: number;
  onDone: (o: Opportunity) => void;
  onCancel: () => void;
  pipelines: Pipeline[];
  fields: CustomField[];
}) {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const pipelineId = Form.useWatch('pipeline_id', form);
  const stages = useMemo(() => pipelines.find((p) => p.id === pipelineId)?.stages ?? [], [pipelines, pipelineId]);
  const [initialValues] = useState<Partial<Values>>(() => {
    const o = opportunity;
    if (!o) return { pipeline_id: pipelines[0]?.id, stage_id: pipelines[0]?.stages[0]?.id };
    return {
      name: o.name,
      amount: o.amount_fen / 100,
      pipeline_id: o.pipeline_id,
      stage_id: o.stage.id,
      expected_close_date: o.expected_close_date ? dayjs(o.expected_close_date) : null,
      custom: toFormValues(fields, o.custom),
    };
  });

  const onValuesChange = (changed: Partial<Values>) => {
    if (changed.pipeline_id === undefined) return;
    const p = pipelines.find((x) => x.id === changed.pipeline_id);
    form.setFieldValue('stage_id', p?.stages[0]?.id);
  };

  const submit = async (v: Values) => {
    const body = {
      name: v.name,
      amount_fen: toFen(v.amount),
      pipeline_id: v.pipeline_id,
      stage_id: v.stage_id,
      expected_close_date: v.expected_close_date ? v.expected_close_date.format('YYYY-MM-DD') : null,
      custom: fromFormValues(fields, v.custom),
    };
    try {
      const saved = opportunity
        ? await api.patch<Opportunity>(`/api/v1/opportunities/${opportunity.id}`, body)
        : await api.post<Opportunity>('/api/v1/opportunities', { ...body, customer_id: customerId });
      message.success(t('common.saved'));
      onDone(saved);
    } catch (e) {
      message.error(err(e));
    }
  };

  return (
    <Form form={form} layout="vertical" initialValues={initialValues} onFinish={submit} onValuesChange={onValuesChange} aria-label={opportunity ? t('common.edit') : t('opportunity.new')}>
      <Form.Item name="name" label={t('opportunity.name')} rules={[{ required: true, message: t('form.required') }]}>
        <Input maxLength={200} />
      </Form.Item>
      <Form.Item name="amount" label={t('opportunity.amount')} rules={[{ required: true, message: t('form.required') }]}>
        <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name="pipeline_id" label={t('opportunity.pipeline')} rules={[{ required: true, message: t('form.required') }]}>
        <Select options={pipelines.map((p) => ({ value: p.id, label: p.name }))} />
      </Form.Item>
      <Form.Item name="stage_id" label={t('opportunity.stage')} rules={[{ required: true, message: t('form.required') }]}>
        <Select options={stages.map((s) => ({ value: s.id, label: `${s.name} (${s.probability}%)` }))} />
      </Form.Item>
      <Form.Item name="expected_close_date" label={t('opportunity.expectedClose')}>
        <DatePicker style={{ width: '100%' }} />
      </Form.Item>
      <CustomFieldItems fields={fields} />
      <Space>
        <Button onClick={onCancel}>{t('common.cancel')}</Button>
        <Button type="primary" htmlType="submit">{t('common.save')}</Button>
      </Space>
    </Form>
  );
}
