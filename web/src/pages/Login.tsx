// Tenant sign-in: company code, login, password. Too many attempts and a required password
// change are said plainly; the latter is done here before entering the app.
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { api, ApiError, setCsrfToken } from '../api';
import { AuthFrame } from '../components/AuthFrame';
import { NewPasswordFields } from '../components/NewPasswordFields';
import { SecondStep, type MfaChallenge } from '../components/TwoStep';
import { useI18n } from '../i18n';
import { useSession } from '../session';

interface LoginAnswer {
  csrf_token: string;
  must_change_password: boolean;
  mfa?: MfaChallenge;
  recovery_codes?: string[];
}

export default function Login() {
  const { t, err } = useI18n();
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [mustChange, setMustChange] = useState<string | null>(null);
  const [mfa, setMfa] = useState<{ challenge: MfaChallenge; password: string } | null>(null);
  const next = params.get('next') || '/';

  const enter = async () => {
    await refresh();
    navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  };

  const onLogin = async (v: { tenant: string; login: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<LoginAnswer>('/api/v1/auth/login', v);
      if (r.mfa) setMfa({ challenge: r.mfa, password: v.password });
      else await signedIn(r, v.password);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const signedIn = async (r: LoginAnswer, password: string) => {
    setCsrfToken(r.csrf_token);
    if (r.must_change_password) setMustChange(password);
    else await enter();
  };

  const onChange = async (v: { new_password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/v1/me/password', { current_password: mustChange, new_password: v.new_password });
      await enter();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const locked = error instanceof ApiError && error.code === 'too_many_attempts';
  const alert = error ? (
    <Alert type={locked ? 'warning' : 'error'} showIcon role="alert" title={err(error)} style={{ marginBottom: 16 }} />
  ) : null;

  if (mfa && mustChange === null) {
    return (
      <AuthFrame title={mfa.challenge.state === 'enrol' ? t('mfa.enable') : t('mfa.title')}>
        <SecondStep<LoginAnswer>
          mfa={mfa.challenge}
          endpoint="/api/v1/auth/login/mfa"
          onSignedIn={(r) => signedIn(r, mfa.password)}
          onRestart={() => setMfa(null)}
        />
      </AuthFrame>
    );
  }

  if (mustChange !== null) {
    return (
      <AuthFrame title={t('login.mustChange')}>
        {alert}
        <Form layout="vertical" onFinish={onChange} requiredMark={false}>
          <NewPasswordFields />
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('account.changePassword')}
          </Button>
        </Form>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame title={t('login.subtitle')}>
      {alert}
      <Form
        layout="vertical"
        onFinish={onLogin}
        requiredMark={false}
        initialValues={{ tenant: localStorage.getItem('kelu.tenant') || '' }}
        onValuesChange={(c: { tenant?: string }) => c.tenant !== undefined && localStorage.setItem('kelu.tenant', c.tenant)}
      >
        <Form.Item label={t('login.tenant')} name="tenant" rules={[{ required: true, message: t('form.required') }]}>
          <Input autoComplete="organization" placeholder="demo" />
        </Form.Item>
        <Form.Item label={t('login.login')} name="login" rules={[{ required: true, message: t('form.required') }]}>
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item label={t('login.password')} name="password" rules={[{ required: true, message: t('form.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('login.submit')}
        </Button>
      </Form>
      <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
        <a href="/forgot">{t('login.forgot')}</a>
        <span style={{ margin: '0 8px' }}>·</span>
        <a href="/operator/login">{t('login.operatorLink')}</a>
      </Typography.Paragraph>
    </AuthFrame>
  );
}
