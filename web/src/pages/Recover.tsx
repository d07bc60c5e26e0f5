// Getting back in by email: /forgot asks for a link (the answer is the same for every
// account), /recover#token=… sets a new password with it. The token rides in the fragment,
// which the browser never sends to the server or in a Referer.
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Alert, Button, Form, Input, Result } from 'antd';
import { api, ApiError } from '../api';
import { AuthFrame } from '../components/AuthFrame';
import { NewPasswordFields } from '../components/NewPasswordFields';
import { fieldMessage, useI18n } from '../i18n';

export function Forgot() {
  const { t, err } = useI18n();
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (v: { tenant: string; login: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/v1/auth/recover', v);
      setSent(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title={t('recover.title')}>
      {sent ? (
        <Result status="success" title={t('recover.sentTitle')} subTitle={t('recover.sent')} extra={<Link to="/login">{t('recover.backToLogin')}</Link>} />
      ) : (
        <>
          {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 16 }} /> : null}
          <Form layout="vertical" onFinish={submit} requiredMark={false} initialValues={{ tenant: localStorage.getItem('kelu.tenant') || '' }}>
            <Form.Item label={t('login.tenant')} name="tenant" rules={[{ required: true, message: t('form.required') }]}>
              <Input autoComplete="organization" />
            </Form.Item>
            <Form.Item label={t('login.login')} name="login" rules={[{ required: true, message: t('form.required') }]} extra={t('recover.explain')}>
              <Input autoComplete="username" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('recover.send')}
            </Button>
          </Form>
          <p style={{ marginTop: 16, marginBottom: 0 }}>
            <Link to="/login">{t('recover.backToLogin')}</Link>
          </p>
        </>
      )}
    </AuthFrame>
  );
}

export function Recover() {
  const { t, err, locale } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
  const submit = async (v: { new_password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/v1/auth/recover/complete', { token, new_password: v.new_password });
      // The link is spent: take it out of the address bar and the history.
      window.history.replaceState(null, '', '/recover');
      setDone(true);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError) form.setFields(Object.entries(e.fields).map(([name, text]) => ({ name, errors: [fieldMessage(locale, text)] })));
    } finally {
      setBusy(false);
    }
  };
  if (done) {
    return (
      <AuthFrame title={t('recover.title')}>
        <Result status="success" title={t('recover.doneTitle')} subTitle={t('recover.done')}
          extra={<Button type="primary" onClick={() => navigate('/login', { replace: true })}>{t('recover.backToLogin')}</Button>} />
      </AuthFrame>
    );
  }
  const invalid = !token || (error instanceof ApiError && error.code === 'recovery_link_invalid');
  return (
    <AuthFrame title={t('recover.newTitle')}>
      {error || !token ? <Alert type="error" showIcon role="alert" title={token ? err(error) : t('recover.noToken')} style={{ marginBottom: 16 }} /> : null}
      {invalid ? (
        <Link to="/forgot">{t('recover.askAgain')}</Link>
      ) : (
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
          <NewPasswordFields />
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('recover.setPassword')}
          </Button>
        </Form>
      )}
    </AuthFrame>
  );
}
