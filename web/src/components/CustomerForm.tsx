// Create or edit a customer. While the name or a phone is typed, the 查重 lookup says whether
// a matching customer exists and whether it is owned (by whom) or waiting in the pool.
import { useEffect, useState } from 'react';
import { Alert, Button, Drawer, Form, Input, Radio, Select, Space } from 'antd';
import { api, ApiError } from '../api';
import { useApi } from '../hooks';
import { fieldMessage, useI18n } from '../i18n';
import type { CrmSettings, Customer, DuplicateMatch } from '../types';
import { CustomFieldItems, fromFormValues, toFormValues, useCustomFields } from './CustomFields';

interface Props {
  open: boolean;
  customer?: Customer;
  onClose: () => void;
  onSaved: (c: Customer) => void;
}

type Values = Partial<Omit<Customer, 'phones' | 'tags'>> & { phones?: string[]; tags?: string[] };

function useDuplicateCheck(name: string, phone: string, exceptId?: number) {
  const [matches, setMatches] = useState<DuplicateMatch[]>([]);
  useEffect(() => {
    if ([...name.trim()].length < 2 && phone.replace(/\D/g, '').length < 7) {
      setMatches([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<{ matches: DuplicateMatch[] }>('/api/v1/customers/duplicates', { name: name.trim(), phone }, abort.signal)
        .then((r) => setMatches(r.matches.filter((m) => m.customer?.id !== exceptId)))
        .catch(() => setMatches([]));
    }, 300);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [name, phone, exceptId]);
  return matches;
}

export function CustomerForm({ open, customer, onClose, onSaved }: Props) {
  const { t, err, locale } = useI18n();
  const [form] = Form.useForm<Values>();
  const settings = useApi<CrmSettings>(open ? '/api/v1/crm/settings' : null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const name = Form.useWatch('name', form) ?? '';
  const phones = Form.useWatch('phones', form) ?? [];
  const matches = useDuplicateCheck(name, phones[0] ?? '', customer?.id);
  const customFields = useCustomFields('customer');

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError(undefined);
    form.setFieldsValue(
      customer ? { ...customer, custom: toFormValues(customFields, customer.custom) } : { kind: 'company', phones: [], tags: [] },
    );
  }, [open, customer, form, customFields]);

  const options = (list?: string[]) => (list ?? []).map((v) => ({ value: v, label: v }));

  const submit = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        ...v,
        phones: (v.phones ?? []).filter(Boolean),
        tags: v.tags ?? [],
        custom: fromFormValues(customFields, v.custom as Record<string, unknown>),
      };
      const saved = customer
        ? await api.patch<Customer>(`/api/v1/customers/${customer.id}`, body)
        : await api.post<Customer>('/api/v1/customers', body);
      onSaved(saved);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError) {
        form.setFields(
          Object.entries(e.fields).map(([field, text]) => ({ name: field as keyof Values, errors: [fieldMessage(locale, text)] })),
        );
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={customer ? t('customer.edit') : t('customer.new')}
      size={520}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={() => form.submit()}>
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 16 }} /> : null}
      {matches.length > 0 && (
        <Alert
          type="warning"
          showIcon
          role="status"
          style={{ marginBottom: 16 }}
          title={t('customer.duplicateWarning')}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {matches.map((m, i) => (
                <li key={i}>
                  {t(`dup.field.${m.field}`)}：
                  {m.customer ? m.customer.name : t('dup.hidden')} —{' '}
                  {m.status === 'pool' ? t('dup.inPool') : t('dup.ownedBy', { name: m.owner?.name ?? '—' })}
                </li>
              ))}
            </ul>
          }
        />
      )}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark="optional">
        <Form.Item name="kind" label={t('customer.kind')}>
          <Radio.Group
            options={[
              { value: 'company', label: t('customer.kind.company') },
              { value: 'person', label: t('customer.kind.person') },
            ]}
          />
        </Form.Item>
        <Form.Item name="name" label={t('customer.name')} rules={[{ required: true, message: t('form.required') }]}>
          <Input maxLength={200} autoFocus />
        </Form.Item>
        <Form.Item name="short_name" label={t('customer.shortName')}>
          <Input maxLength={100} />
        </Form.Item>
        <Space.Compact block>
          <Form.Item name="level" label={t('customer.level')} style={{ flex: 1 }}>
            <Select allowClear options={options(settings.data?.levels)} />
          </Form.Item>
          <Form.Item name="status" label={t('customer.status')} style={{ flex: 1 }}>
            <Select allowClear options={options(settings.data?.statuses)} />
          </Form.Item>
        </Space.Compact>
        <Space.Compact block>
          <Form.Item name="source" label={t('customer.source')} style={{ flex: 1 }}>
            <Select allowClear options={options(settings.data?.sources)} />
          </Form.Item>
          <Form.Item name="industry" label={t('customer.industry')} style={{ flex: 1 }}>
            <Select allowClear options={options(settings.data?.industries)} />
          </Form.Item>
        </Space.Compact>
        <Form.Item name="phones" label={t('customer.phones')} extra={t('customer.phonesHint')}>
          <Select mode="tags" open={false} tokenSeparators={[',', '，', ' ']} aria-label={t('customer.phones')} />
        </Form.Item>
        <Space.Compact block>
          <Form.Item name="province" label={t('customer.province')} style={{ flex: 1 }}>
            <Input maxLength={50} />
          </Form.Item>
          <Form.Item name="city" label={t('customer.city')} style={{ flex: 1 }}>
            <Input maxLength={50} />
          </Form.Item>
        </Space.Compact>
        <Form.Item name="address" label={t('customer.address')}>
          <Input maxLength={300} />
        </Form.Item>
        <Form.Item name="website" label={t('customer.website')}>
          <Input maxLength={300} />
        </Form.Item>
        <Form.Item name="tags" label={t('customer.tags')}>
          <Select mode="tags" open={false} tokenSeparators={[',', '，']} aria-label={t('customer.tags')} />
        </Form.Item>
        <CustomFieldItems fields={customFields} />
        <Form.Item name="notes" label={t('customer.notes')}>
          <Input.TextArea rows={3} maxLength={5000} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
