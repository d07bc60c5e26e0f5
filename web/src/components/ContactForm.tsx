// Add or edit a contact of a customer: every field, the primary flag, and the tenant's custom
// fields of contacts. Field refusals are shown on their fields.
import { useEffect, useState } from 'react';
import { Alert, Button, DatePicker, Drawer, Form, Input, Space, Switch } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, ApiError } from '../api';
import { fieldMessage, useI18n } from '../i18n';
import type { Contact } from '../types';
import { CustomFieldItems, fromFormValues, toFormValues, useCustomFields } from './CustomFields';

type Values = Omit<Partial<Contact>, 'birthday'> & { birthday?: Dayjs | null; custom?: Record<string, unknown> };

export function ContactForm({ customerId, contact, open, onClose, onSaved }: {
  customerId: number;
  contact?: Contact;
  open: boolean;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t, err, locale } = useI18n();
  const [form] = Form.useForm<Values>();
  const fields = useCustomFields('contact');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError(undefined);
    if (contact) {
      form.setFieldsValue({
        ...contact,
        birthday: contact.birthday ? dayjs(contact.birthday) : null,
        custom: toFormValues(fields, contact.custom),
      });
    }
  }, [open, contact, form, fields]);

  const save = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    const body = { ...v, birthday: v.birthday ? v.birthday.format('YYYY-MM-DD') : null, custom: fromFormValues(fields, v.custom) };
    try {
      if (contact) await api.patch(`/api/v1/contacts/${contact.id}`, body);
      else await api.post('/api/v1/contacts', { ...body, customer_id: customerId });
      onSaved();
    } catch (e) {
      setError(e);
      if (e instanceof ApiError) form.setFields(Object.entries(e.fields).map(([name, text]) => ({ name: name as keyof Values, errors: [fieldMessage(locale, text)] })));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer open={open} onClose={onClose} title={contact ? t('contact.edit') : t('contact.add')} size={480} destroyOnHidden
      extra={<Space><Button onClick={onClose}>{t('common.cancel')}</Button><Button type="primary" loading={busy} onClick={() => form.submit()}>{t('common.save')}</Button></Space>}>
      {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 16 }} /> : null}
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item name="name" label={t('contact.name')} rules={[{ required: true, message: t('form.required') }]}><Input maxLength={100} autoFocus /></Form.Item>
        <Form.Item name="title" label={t('contact.title')}><Input maxLength={100} /></Form.Item>
        <Form.Item name="mobile" label={t('contact.mobile')}><Input maxLength={20} /></Form.Item>
        <Form.Item name="phone" label={t('contact.phone')}><Input maxLength={30} /></Form.Item>
        <Form.Item name="email" label={t('contact.email')}><Input maxLength={200} /></Form.Item>
        <Form.Item name="wechat" label={t('contact.wechat')}><Input maxLength={100} /></Form.Item>
        <Form.Item name="birthday" label={t('contact.birthday')}><DatePicker style={{ width: '100%' }} /></Form.Item>
        <Form.Item name="is_primary" label={t('contact.primary')} valuePropName="checked"><Switch /></Form.Item>
        <CustomFieldItems fields={fields} />
        <Form.Item name="notes" label={t('customer.notes')}><Input.TextArea rows={3} maxLength={5000} /></Form.Item>
      </Form>
    </Drawer>
  );
}
