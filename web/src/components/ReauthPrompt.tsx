// Asks for the password (or, with two-step sign-in on, a code) again when a change wants a recent proof (changing one's email or
// mobile, creating an API token, making a boss or an admin, opening a support grant), then the
// change goes through as the user asked. Mounted once, beside the app.
import { Alert, Button, Form, Input, Modal, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, onReauthenticationRequired } from '../api';
import { useI18n } from '../i18n';

export function ReauthPrompt() {
  const { t, err } = useI18n();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [form] = Form.useForm<{ password?: string; code?: string }>();
  const [canUseCode, setCanUseCode] = useState(false);
  const [byCode, setByCode] = useState(false);
  const settle = useRef<((proved: boolean) => void) | null>(null);

  useEffect(() => {
    onReauthenticationRequired(
      () =>
        new Promise<boolean>((resolve) => {
          settle.current = resolve;
          setError(null);
          setByCode(false);
          form.resetFields();
          setOpen(true);
          api
            .get<{ mfa?: { enabled: boolean } }>('/api/v1/me')
            .then((m) => setCanUseCode(!!m.mfa?.enabled))
            .catch(() => setCanUseCode(false));
        }),
    );
    return () => onReauthenticationRequired(null);
  }, [form]);

  const finish = (proved: boolean) => {
    setOpen(false);
    settle.current?.(proved);
    settle.current = null;
  };

  const submit = async () => {
    const { password, code } = await form.validateFields();
    setBusy(true);
    try {
      await api.post('/api/v1/me/reauthenticate', byCode ? { code: (code ?? '').replace(/\s/g, '') } : { password });
      finish(true);
    } catch (e) {
      if (e instanceof ApiError && e.fields.code) {
        form.setFields([{ name: 'code', errors: [t('mfa.wrongCode')] }]);
      } else if (e instanceof ApiError && e.fields.password) {
        form.setFields([{ name: 'password', errors: [t('reauth.wrong')] }]);
      } else {
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={open} title={t('reauth.title')} okText={t('reauth.confirm')} cancelText={t('common.cancel')}
      confirmLoading={busy} onOk={submit} onCancel={() => finish(false)} destroyOnHidden>
      <Typography.Paragraph>{t('reauth.explain')}</Typography.Paragraph>
      {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 12 }} /> : null}
      <Form form={form} layout="vertical" onFinish={submit}>
        {byCode ? (
          <Form.Item name="code" label={t('mfa.code')} rules={[{ required: true, message: t('form.required') }]}>
            <Input inputMode="numeric" autoComplete="one-time-code" maxLength={7} autoFocus />
          </Form.Item>
        ) : (
          <Form.Item name="password" label={t('reauth.password')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.Password autoComplete="current-password" autoFocus />
          </Form.Item>
        )}
      </Form>
      {canUseCode ? (
        <Button type="link" style={{ padding: 0 }} onClick={() => setByCode(!byCode)}>
          {byCode ? t('reauth.usePassword') : t('reauth.useCode')}
        </Button>
      ) : null}
    </Modal>
  );
}
