// Your own account: profile, password, sign-in history, and reporting unauthorized use
// (which signs you out everywhere and tells the operator).
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, App, Button, Card, Col, Form, Input, Row, Table, Tag } from 'antd';
import { api, ApiError, type ListPage } from '../api';
import { ApiTokens } from '../components/ApiTokens';
import { ErrorAlert } from '../components/ErrorAlert';
import { PasswordStrength } from '../components/PasswordStrength';
import { TwoStepCard } from '../components/TwoStep';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { fieldMessage, useI18n } from '../i18n';
import { useMe, useSession } from '../session';

interface LoginEvent {
  id: number;
  at: string;
  ip: string;
  user_agent: string;
  outcome: string;
}

export default function Account() {
  const { t, err, locale } = useI18n();
  const { message, modal } = App.useApp();
  const me = useMe();
  const { refresh, signOut } = useSession();
  const navigate = useNavigate();
  const history = useApi<ListPage<LoginEvent>>('/api/v1/me/login-history', { limit: 20 });
  const [profileForm] = Form.useForm();
  const [passwordForm] = Form.useForm();
  const [passwordError, setPasswordError] = useState<unknown>();

  const saveProfile = async (v: { name: string; email: string; mobile: string }) => {
    try {
      await api.patch('/api/v1/me', v);
      await refresh();
      message.success(t('common.saved'));
    } catch (e) {
      if (e instanceof ApiError)
        profileForm.setFields(Object.entries(e.fields).map(([name, text]) => ({ name, errors: [fieldMessage(locale, text)] })));
      message.error(err(e));
    }
  };

  const changePassword = async (v: { current_password: string; new_password: string }) => {
    setPasswordError(undefined);
    try {
      await api.post('/api/v1/me/password', { current_password: v.current_password, new_password: v.new_password });
      passwordForm.resetFields();
      message.success(t('account.passwordChanged'));
    } catch (e) {
      setPasswordError(e);
    }
  };

  const report = () => {
    let note = '';
    modal.confirm({
      title: t('account.reportTitle'),
      content: (
        <>
          <p>{t('account.reportExplain')}</p>
          <Input.TextArea aria-label={t('account.reportNote')} placeholder={t('account.reportNote')} onChange={(e) => (note = e.target.value)} />
        </>
      ),
      okButtonProps: { danger: true },
      okText: t('account.report'),
      onOk: async () => {
        try {
          await api.post('/api/v1/me/unauthorized-use', { note });
        } catch (e) {
          message.error(err(e));
          return;
        }
        await signOut().catch(() => undefined);
        navigate('/login', { replace: true });
      },
    });
  };

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.account')}</h1>
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t('account.profile')}>
            <Form form={profileForm} layout="vertical" initialValues={me.user} onFinish={saveProfile}>
              <Form.Item label={t('login.login')}>
                <Input value={me.user.login} disabled aria-label={t('login.login')} />
              </Form.Item>
              <Form.Item name="name" label={t('account.name')} rules={[{ required: true, message: t('form.required') }]}>
                <Input maxLength={100} />
              </Form.Item>
              <Form.Item name="email" label={t('account.email')}>
                <Input type="email" maxLength={200} />
              </Form.Item>
              <Form.Item name="mobile" label={t('account.mobile')}>
                <Input maxLength={20} />
              </Form.Item>
              <Button type="primary" htmlType="submit">{t('common.save')}</Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('account.changePassword')}>
            <ErrorAlert error={passwordError} />
            <Form form={passwordForm} layout="vertical" onFinish={changePassword}>
              <Form.Item name="current_password" label={t('account.currentPassword')} rules={[{ required: true, message: t('form.required') }]}>
                <Input.Password autoComplete="current-password" />
              </Form.Item>
              <Form.Item name="new_password" label={t('account.newPassword')} rules={[{ required: true, message: t('form.required') }]}
                extra={<>{t('account.passwordRule')}<PasswordStrength field="new_password" userInputs={[me.user.login, me.user.name, me.user.email]} /></>}>
                <Input.Password autoComplete="new-password" />
              </Form.Item>
              <Button type="primary" htmlType="submit">{t('account.changePassword')}</Button>
            </Form>
          </Card>
          <Card title={t('account.unauthorized')} style={{ marginTop: 16 }}>
            <Alert type="warning" title={t('account.reportExplain')} style={{ marginBottom: 12 }} />
            <Button danger onClick={report}>{t('account.report')}</Button>
          </Card>
        </Col>
      </Row>
      <TwoStepCard status={me.mfa} onChanged={refresh} />
      <Card title={t('tokens.title')} style={{ marginTop: 16 }}>
        <ApiTokens />
      </Card>
      <Card title={t('account.history')} style={{ marginTop: 16 }}>
        <ErrorAlert error={history.error} onRetry={history.reload} />
        <Table<LoginEvent>
          rowKey="id"
          size="small"
          loading={history.loading}
          pagination={false}
          dataSource={history.data?.items ?? []}
          columns={[
            { title: t('account.when'), render: (_, e) => dateTime(e.at) },
            { title: 'IP', dataIndex: 'ip' },
            { title: t('account.device'), dataIndex: 'user_agent', ellipsis: true },
            {
              title: t('account.outcome'),
              render: (_, e) =>
                e.outcome === 'mfa_pending' ? (
                  <Tag>{t('account.pending')}</Tag>
                ) : (
                  <Tag color={e.outcome === 'success' ? 'green' : 'red'}>{e.outcome === 'success' ? t('account.success') : t('account.failed')}</Tag>
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
