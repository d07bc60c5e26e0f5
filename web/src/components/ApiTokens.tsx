// Your personal API tokens: read or write scope, an expiry; the secret is shown once.
import { useState } from 'react';
import { Alert, App, Button, Form, Input, InputNumber, Popconfirm, Select, Table, Tag, Typography } from 'antd';
import { api, type ListPage } from '../api';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

interface Token {
  id: number;
  name: string;
  scope: 'read' | 'write';
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export function ApiTokens() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const tokens = useApi<ListPage<Token>>('/api/v1/api-tokens');
  const [secret, setSecret] = useState<string | null>(null);
  const [form] = Form.useForm();
  const create = async (v: { name: string; scope: string; expires_in_days?: number }) => {
    try {
      const r = await api.post<{ token: string }>('/api/v1/api-tokens', v);
      setSecret(r.token);
      form.resetFields();
      tokens.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  const revoke = async (tk: Token) => {
    try {
      await api.del(`/api/v1/api-tokens/${tk.id}`);
      tokens.reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <>
      {secret && (
        <Alert type="success" showIcon closable onClose={() => setSecret(null)} style={{ marginBottom: 12 }} title={t('tokens.shownOnce')}
          description={<Typography.Paragraph copyable code style={{ margin: 0 }}>{secret}</Typography.Paragraph>} />
      )}
      <Table<Token>
        rowKey="id"
        size="small"
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={tokens.data?.items ?? []}
        locale={{ emptyText: t('tokens.none') }}
        columns={[
          { title: t('tokens.name'), dataIndex: 'name' },
          { title: t('company.access'), render: (_, tk) => <Tag>{t(tk.scope === 'read' ? 'company.access.read' : 'company.access.write')}</Tag> },
          { title: t('company.expiresAt'), render: (_, tk) => dateTime(tk.expires_at) },
          { title: t('tokens.lastUsed'), render: (_, tk) => dateTime(tk.last_used_at) },
          {
            title: '',
            render: (_, tk) =>
              tk.revoked_at ? <Tag>{t('company.revoked')}</Tag> : (
                <Popconfirm title={t('tokens.revokeConfirm', { name: tk.name })} onConfirm={() => revoke(tk)}>
                  <Button size="small" danger>{t('company.revoke')}</Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Form form={form} layout="inline" style={{ marginTop: 12, rowGap: 8 }} initialValues={{ scope: 'read', expires_in_days: 90 }} onFinish={create}>
        <Form.Item name="name" rules={[{ required: true, message: t('form.required') }]}>
          <Input placeholder={t('tokens.name')} aria-label={t('tokens.name')} />
        </Form.Item>
        <Form.Item name="scope">
          <Select style={{ width: 120 }} aria-label={t('company.access')} options={[{ value: 'read', label: t('company.access.read') }, { value: 'write', label: t('company.access.write') }]} />
        </Form.Item>
        <Form.Item name="expires_in_days">
          <InputNumber min={1} max={3650} suffix={t('tokens.days')} aria-label={t('tokens.expiresIn')} />
        </Form.Item>
        <Button type="primary" htmlType="submit">{t('tokens.create')}</Button>
      </Form>
    </>
  );
}
