// The operator's sign-in (email and password), apart from tenants'.
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, Button, Form, Input } from 'antd';
import { api, setCsrfToken } from '../api';
import { AuthFrame } from '../components/AuthFrame';
import { SecondStep, type MfaChallenge } from '../components/TwoStep';
import { useI18n } from '../i18n';
import { useOperatorSession } from '../session';

export default function OperatorLogin() {
  const { t, err } = useI18n();
  const { refresh } = useOperatorSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // Operators always sign in in two steps: the password answers a challenge.
  const [mfa, setMfa] = useState<MfaChallenge | null>(null);
  const signedIn = async (r: { csrf_token: string }) => {
    setCsrfToken(r.csrf_token);
    await refresh();
    navigate('/operator/tenants', { replace: true });
  };
  const submit = async (v: { email: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<{ csrf_token: string; mfa?: MfaChallenge }>('/api/v1/operator/auth/login', v);
      if (r.mfa) setMfa(r.mfa);
      else await signedIn(r);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (mfa) {
    return (
      <AuthFrame title={mfa.state === 'enrol' ? t('mfa.enable') : t('mfa.title')}>
        <SecondStep<{ csrf_token: string; recovery_codes?: string[] }>
          mfa={mfa}
          endpoint="/api/v1/operator/auth/login/mfa"
          onSignedIn={signedIn}
          onRestart={() => setMfa(null)}
        />
      </AuthFrame>
    );
  }
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
