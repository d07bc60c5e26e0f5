// Users and seats (boss and admins): who uses the tenant's seats, their roles and departments;
// add a user (refused when every seat is taken), change a role, disable or enable, reset a
// password (the temporary one is shown once) or a lost phone's two-step sign-in; the boss
// requires two-step sign-in of everyone.
import { useState } from 'react';
import { Alert, App, Button, Drawer, Form, Input, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { api, ApiError, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { fieldMessage, useI18n, type MessageKey } from '../i18n';
import { useMe } from '../session';

interface UserRow {
  id: number;
  login: string;
  name: string;
  email: string;
  mobile: string;
  role: string;
  department_id: number | null;
  status: string;
  mfa_enabled: boolean;
  created_at: string;
}

interface Department {
  id: number;
  name: string;
}

const roles = ['boss', 'admin', 'manager', 'member'] as const;

export default function Users() {
  const { t, err, locale } = useI18n();
  const { message, modal } = App.useApp();
  const me = useMe();
  const users = useApi<ListPage<UserRow>>('/api/v1/users', { limit: 200 });
  const tenant = useApi<{ seats: number; active_users: number; mfa_required: boolean }>('/api/v1/tenant');
  const departments = useApi<ListPage<Department>>('/api/v1/departments');
  const [adding, setAdding] = useState(false);
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();

  const roleOptions = roles
    .filter((r) => me.role === 'boss' || r !== 'boss')
    .map((r) => ({ value: r, label: t(`role.${r}` as MessageKey) }));
  const deptOptions = (departments.data?.items ?? []).map((d) => ({ value: d.id, label: d.name }));

  const showPassword = (login: string, password: string) =>
    modal.info({
      title: t('users.tempPassword', { login }),
      content: (
        <Typography.Paragraph copyable={{ text: password }} code data-testid="temp-password">
          {password}
        </Typography.Paragraph>
      ),
    });

  const add = async (v: Record<string, unknown>) => {
    setError(undefined);
    try {
      const r = await api.post<UserRow & { temporary_password?: string }>('/api/v1/users', v);
      setAdding(false);
      form.resetFields();
      users.reload();
      tenant.reload();
      if (r.temporary_password) showPassword(r.login, r.temporary_password);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError) form.setFields(Object.entries(e.fields).map(([name, text]) => ({ name, errors: [fieldMessage(locale, text)] })));
    }
  };

  const update = async (u: UserRow, body: Record<string, unknown>) => {
    try {
      await api.patch(`/api/v1/users/${u.id}`, body);
      users.reload();
      tenant.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  const reset = async (u: UserRow) => {
    try {
      const r = await api.post<{ temporary_password: string }>(`/api/v1/users/${u.id}/password-reset`);
      showPassword(u.login, r.temporary_password);
    } catch (e) {
      message.error(err(e));
    }
  };

  const resetMfa = async (u: UserRow) => {
    try {
      await api.del(`/api/v1/users/${u.id}/mfa`);
      message.success(t('mfa.resetDone'));
      users.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  const requireMfa = async (required: boolean) => {
    try {
      await api.patch('/api/v1/tenant', { mfa_required: required });
      tenant.reload();
    } catch (e) {
      message.error(err(e));
    }
  };

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.users')}</h1>
        {tenant.data && <Tag color="blue">{t('users.seats', { used: tenant.data.active_users, seats: tenant.data.seats })}</Tag>}
        <Button type="primary" onClick={() => setAdding(true)}>{t('users.add')}</Button>
      </div>
      <ErrorAlert error={users.error} onRetry={users.reload} />
      {me.role === 'boss' && tenant.data ? (
        <Alert
          style={{ marginBottom: 16 }}
          type={tenant.data.mfa_required ? 'success' : 'info'}
          title={tenant.data.mfa_required ? t('mfa.companyOn') : t('mfa.companyTitle')}
          description={t('mfa.companyExplain')}
          action={
            <Popconfirm title={tenant.data.mfa_required ? t('mfa.companyLift') : t('mfa.companyRequire')}
              onConfirm={() => requireMfa(!tenant.data?.mfa_required)}>
              <Button size="small">{tenant.data.mfa_required ? t('mfa.companyLift') : t('mfa.companyRequire')}</Button>
            </Popconfirm>
          }
        />
      ) : null}
      <Table<UserRow>
        rowKey="id"
        loading={users.loading}
        dataSource={users.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('account.name'), render: (_, u) => <>{u.name} <small style={{ color: '#595959' }}>{u.login}</small></> },
          {
            title: t('users.role'),
            render: (_, u) =>
              u.id === me.user.id ? (
                t(`role.${u.role}` as MessageKey)
              ) : (
                <Select size="small" style={{ width: 110 }} value={u.role} options={roleOptions} aria-label={t('users.roleOf', { name: u.name })}
                  onChange={(role) => update(u, { role })} disabled={u.role === 'boss' && me.role !== 'boss'} />
              ),
          },
          {
            title: t('users.department'),
            render: (_, u) => (
              <Select size="small" allowClear style={{ width: 140 }} value={u.department_id ?? undefined} options={deptOptions}
                aria-label={t('users.departmentOf', { name: u.name })} onChange={(d?: number) => update(u, { department_id: d ?? null })} />
            ),
          },
          { title: t('opportunity.status'), render: (_, u) => <Tag color={u.status === 'active' ? 'green' : 'default'}>{t(`users.status.${u.status}` as MessageKey)}</Tag> },
          { title: t('mfa.column'), render: (_, u) => <Tag color={u.mfa_enabled ? 'green' : 'default'}>{u.mfa_enabled ? t('mfa.on') : t('mfa.off')}</Tag> },
          { title: t('common.createdAt'), render: (_, u) => dateTime(u.created_at) },
          {
            title: '',
            render: (_, u) =>
              u.id === me.user.id ? null : (
                <Space>
                  <Popconfirm title={u.status === 'active' ? t('users.disableConfirm', { name: u.name }) : t('users.enableConfirm', { name: u.name })}
                    onConfirm={() => update(u, { status: u.status === 'active' ? 'disabled' : 'active' })}>
                    <Button size="small">{u.status === 'active' ? t('users.disable') : t('users.enable')}</Button>
                  </Popconfirm>
                  <Popconfirm title={t('users.resetConfirm', { name: u.name })} onConfirm={() => reset(u)}>
                    <Button size="small" type="link">{t('users.reset')}</Button>
                  </Popconfirm>
                  {u.mfa_enabled && (u.role !== 'boss' || me.role === 'boss') ? (
                    <Popconfirm title={t('mfa.resetTitle', { name: u.name })} description={t('mfa.resetExplain')} onConfirm={() => resetMfa(u)}>
                      <Button size="small" type="link">{t('mfa.reset')}</Button>
                    </Popconfirm>
                  ) : null}
                </Space>
              ),
          },
        ]}
      />
      <Drawer open={adding} onClose={() => setAdding(false)} title={t('users.add')} destroyOnHidden
        extra={<Button type="primary" onClick={() => form.submit()}>{t('common.save')}</Button>}>
        {error ? <Alert type="error" showIcon title={err(error)} style={{ marginBottom: 16 }} /> : null}
        <Form form={form} layout="vertical" onFinish={add} initialValues={{ role: 'member' }}>
          <Form.Item name="login" label={t('login.login')} rules={[{ required: true, message: t('form.required') }]}>
            <Input maxLength={64} autoComplete="off" />
          </Form.Item>
          <Form.Item name="name" label={t('account.name')} rules={[{ required: true, message: t('form.required') }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="role" label={t('users.role')}>
            <Select options={roleOptions} />
          </Form.Item>
          <Form.Item name="department_id" label={t('users.department')}>
            <Select allowClear options={deptOptions} />
          </Form.Item>
          <Form.Item name="email" label={t('account.email')}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="mobile" label={t('account.mobile')}>
            <Input maxLength={20} />
          </Form.Item>
          <Typography.Paragraph type="secondary">{t('users.tempExplain')}</Typography.Paragraph>
        </Form>
      </Drawer>
    </>
  );
}
