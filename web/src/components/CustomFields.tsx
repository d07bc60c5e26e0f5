// The tenant's custom fields on a record: an input by type in forms (money in yuan, stored in
// fen; dates as YYYY-MM-DD), a readable value on detail pages, and list filters for the
// single and multiple select fields.
import { useMemo } from 'react';
import { DatePicker, Form, Input, InputNumber, Select } from 'antd';
import dayjs from 'dayjs';
import type { ListPage } from '../api';
import { yuan } from '../api';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

export interface CustomField {
  id: number;
  entity: 'customer' | 'contact' | 'opportunity';
  key: string;
  label: string;
  type: 'text' | 'number' | 'money' | 'date' | 'select' | 'multi_select';
  options: string[];
  required: boolean;
}

const none: CustomField[] = [];

// The same array until the fields change (forms reset when it changes); `loaded` once known.
export function useCustomFieldsState(entity: CustomField['entity']): { fields: CustomField[]; loaded: boolean } {
  const fields = useApi<ListPage<CustomField>>('/api/v1/custom-fields', { entity });
  const list = useMemo(() => fields.data?.items.filter((f) => f.entity === entity) ?? none, [fields.data, entity]);
  return { fields: list, loaded: fields.data !== undefined || fields.error !== undefined };
}

export function useCustomFields(entity: CustomField['entity']): CustomField[] {
  return useCustomFieldsState(entity).fields;
}

function control(f: CustomField) {
  switch (f.type) {
    case 'number':
      return <InputNumber style={{ width: '100%' }} />;
    case 'money':
      return <InputNumber style={{ width: '100%' }} min={0} precision={2} prefix="¥" />;
    case 'date':
      return <DatePicker style={{ width: '100%' }} />;
    case 'select':
      return <Select allowClear options={f.options.map((o) => ({ value: o, label: o }))} />;
    case 'multi_select':
      return <Select mode="multiple" allowClear options={f.options.map((o) => ({ value: o, label: o }))} />;
    default:
      return <Input maxLength={500} />;
  }
}

// Form items for `custom.<key>`; pair with toFormValues / fromFormValues.
export function CustomFieldItems({ fields }: { fields: CustomField[] }) {
  const { t } = useI18n();
  return (
    <>
      {fields.map((f) => (
        <Form.Item key={f.key} name={['custom', f.key]} label={f.label} rules={f.required ? [{ required: true, message: t('form.required') }] : []}>
          {control(f)}
        </Form.Item>
      ))}
    </>
  );
}

// API values → form values (fen → yuan, date text → a date).
export function toFormValues(fields: CustomField[], custom: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = custom[f.key];
    if (v === undefined || v === null) continue;
    out[f.key] = f.type === 'money' ? Number(v) / 100 : f.type === 'date' ? dayjs(String(v)) : v;
  }
  return out;
}

// Form values → API values; an emptied field is sent as null.
export function fromFormValues(fields: CustomField[], values: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) out[f.key] = null;
    else if (f.type === 'money') out[f.key] = Math.round(Number(v) * 100);
    else if (f.type === 'date') out[f.key] = (v as dayjs.Dayjs).format('YYYY-MM-DD');
    else out[f.key] = v;
  }
  return out;
}

export function CustomFieldValue({ field, value }: { field: CustomField; value: unknown }) {
  const { locale } = useI18n();
  if (value === undefined || value === null || value === '') return <>—</>;
  if (field.type === 'money') return <>{yuan(Number(value), locale)}</>;
  if (Array.isArray(value)) return <>{value.join('、')}</>;
  return <>{String(value)}</>;
}
