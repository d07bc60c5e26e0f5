// The operator's sign-in (email and password), apart from tenants'.
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, Button, Form, Input } from 'antd';
import { api, setCsrfToken } from '../api';
import { AuthFrame } from '../components/AuthFrame';
import { useI18n } from '../i18n';
import { useOperatorSession } from '../session';

export default function OperatorLogin() {
  const { t, err } = useI18n();
  const { refresh } = useOperatorSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { email: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<{ csrf_token: string }>('/api/v1/operator/auth/login', v);
      setCsrfToken(r.csrf_token);
      await refresh();
      navigate('/operator/tenants', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title={t('operator.loginTitle')}>
      {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 16 }} /> : null}
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item name="email" label={t('operator.email')} rules={[{ required: true, message: t('form.required') }]}>
          <Input type="email" autoComplete="username" />
        </Form.Item>
        <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('form.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('login.submit')}
        </Button>
      </Form>
    </AuthFrame>
  );
}
