// Two-step sign-in in the web app: the second step of a sign-in (a code, a recovery code, or
// enrolling an authenticator by QR code when the account must have one), the recovery codes
// shown once, and the card on one's own account page that turns it on and off.
import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Space, Tag, Typography } from 'antd';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { dateTime } from '../format';

export interface Enrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

export interface MfaChallenge {
  challenge: string;
  state: 'verify' | 'enrol';
  expires_at: string;
  enrolment?: Enrolment;
}

export interface MfaStatus {
  enabled: boolean;
  required: boolean;
  enabled_at: string | null;
  recovery_codes_left: number;
}

// The secret in groups of four, as people copy it into an app by hand.
const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

// The QR code of an enrolment and the key beneath it, for typing in when scanning fails.
export function EnrolmentCode({ enrolment }: { enrolment: Enrolment }) {
  const { t } = useI18n();
  return (
    <div style={{ textAlign: 'center', marginBottom: 16 }}>
      <img
        src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qr_svg)}`}
        alt={t('mfa.qrAlt')}
        width={200}
        height={200}
        style={{ imageRendering: 'pixelated' }}
      />
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {t('mfa.manualKey')}
      </Typography.Paragraph>
      <Typography.Text code copyable={{ text: enrolment.secret }} data-testid="mfa-secret">
        {grouped(enrolment.secret)}
      </Typography.Text>
    </div>
  );
}

// Recovery codes, shown once: to write down or copy before going on.
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <>
      <Alert type="warning" showIcon title={t('mfa.codesExplain')} style={{ marginBottom: 12 }} />
      <ul className="recovery-codes" aria-label={t('mfa.codesTitle')} style={{ columns: 2, fontFamily: 'monospace', fontSize: 16 }}>
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <Space>
        <Typography.Text copyable={{ text: codes.join('\n') }}>{t('mfa.copyCodes')}</Typography.Text>
        <Button type="primary" onClick={onDone}>
          {t('mfa.codesSaved')}
        </Button>
      </Space>
    </>
  );
}

// The second step of a sign-in. `endpoint` takes {challenge, code | recovery_code}; `onSignedIn`
// gets the session's answer once any recovery codes have been seen.
export function SecondStep<A extends { csrf_token: string; recovery_codes?: string[] }>({
  mfa,
  endpoint,
  onSignedIn,
  onRestart,
}: {
  mfa: MfaChallenge;
  endpoint: string;
  onSignedIn: (answer: A) => void | Promise<void>;
  onRestart: () => void;
}) {
  const { t, err } = useI18n();
  const [useRecovery, setUseRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [answer, setAnswer] = useState<A | null>(null);
  const enrol = mfa.state === 'enrol';

  const submit = async (v: { code?: string; recovery_code?: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const body = useRecovery ? { recovery_code: v.recovery_code } : { code: (v.code ?? '').replace(/\s/g, '') };
      const r = await api.post<A>(endpoint, { challenge: mfa.challenge, ...body });
      if (r.recovery_codes?.length) setAnswer(r);
      else await onSignedIn(r);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (answer) return <RecoveryCodes codes={answer.recovery_codes ?? []} onDone={() => void onSignedIn(answer)} />;
  const expired = error instanceof ApiError && error.code === 'mfa_challenge_invalid';
  return (
    <>
      {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 16 }} /> : null}
      <Typography.Paragraph>{enrol ? t('mfa.enrolExplain') : useRecovery ? t('mfa.recoveryExplain') : t('mfa.verifyExplain')}</Typography.Paragraph>
      {enrol && mfa.enrolment ? <EnrolmentCode enrolment={mfa.enrolment} /> : null}
      <Form layout="vertical" onFinish={submit} requiredMark={false} key={useRecovery ? 'recovery' : 'code'}>
        {useRecovery ? (
          <Form.Item label={t('mfa.recoveryCode')} name="recovery_code" rules={[{ required: true, message: t('form.required') }]}>
            <Input autoComplete="off" autoFocus placeholder="xxxxx-xxxxx" />
          </Form.Item>
        ) : (
          <Form.Item label={t('mfa.code')} name="code" rules={[{ required: true, message: t('form.required') }]}>
            <Input inputMode="numeric" autoComplete="one-time-code" autoFocus maxLength={7} placeholder="123456" />
          </Form.Item>
        )}
        <Button type="primary" htmlType="submit" block loading={busy}>
          {enrol ? t('mfa.enrolSubmit') : t('mfa.verifySubmit')}
        </Button>
      </Form>
      <Space style={{ marginTop: 12 }}>
        {!enrol ? (
          <Button type="link" onClick={() => setUseRecovery(!useRecovery)} style={{ padding: 0 }}>
            {useRecovery ? t('mfa.useCode') : t('mfa.useRecovery')}
          </Button>
        ) : null}
        {expired ? (
          <Button type="link" onClick={onRestart} style={{ padding: 0 }}>
            {t('mfa.restart')}
          </Button>
        ) : null}
      </Space>
    </>
  );
}

// The card on one's account page: status, turning it on (scan, confirm, codes), new recovery
// codes, and turning it off where the company does not require it.
export function TwoStepCard({ status, onChanged }: { status: MfaStatus; onChanged: () => Promise<void> }) {
  const { t, err } = useI18n();
  const { message, modal } = App.useApp();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ code: string }>();

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      if (e instanceof ApiError && e.fields.code) form.setFields([{ name: 'code', errors: [t('mfa.wrongCode')] }]);
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const start = () => run(async () => setEnrolment(await api.post<Enrolment>('/api/v1/me/mfa/enrolment', {})));
  const confirm = (v: { code: string }) =>
    run(async () => {
      const r = await api.post<{ recovery_codes: string[] }>('/api/v1/me/mfa/enrolment/confirm', { code: v.code.replace(/\s/g, '') });
      setEnrolment(null);
      setCodes(r.recovery_codes);
      await onChanged();
    });
  const renew = () =>
    run(async () => {
      const r = await api.post<{ recovery_codes: string[] }>('/api/v1/me/mfa/recovery-codes', {});
      setCodes(r.recovery_codes);
      await onChanged();
    });
  const disable = () =>
    modal.confirm({
      title: t('mfa.disableTitle'),
      content: t('mfa.disableExplain'),
      okButtonProps: { danger: true },
      okText: t('mfa.disable'),
      cancelText: t('common.cancel'),
      onOk: () =>
        run(async () => {
          await api.del('/api/v1/me/mfa');
          message.success(t('mfa.disabled'));
          await onChanged();
        }),
    });

  return (
    <Card title={t('mfa.title')} style={{ marginTop: 16 }}>
      {error ? <Alert type="error" showIcon role="alert" title={err(error)} style={{ marginBottom: 12 }} /> : null}
      {codes ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
      ) : enrolment ? (
        <>
          <Typography.Paragraph>{t('mfa.enrolExplain')}</Typography.Paragraph>
          <EnrolmentCode enrolment={enrolment} />
          <Form form={form} layout="vertical" onFinish={confirm} requiredMark={false}>
            <Form.Item label={t('mfa.code')} name="code" rules={[{ required: true, message: t('form.required') }]}>
              <Input inputMode="numeric" autoComplete="one-time-code" maxLength={7} placeholder="123456" />
            </Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" loading={busy}>{t('mfa.enrolSubmit')}</Button>
              <Button onClick={() => setEnrolment(null)}>{t('common.cancel')}</Button>
            </Space>
          </Form>
        </>
      ) : status.enabled ? (
        <>
          <Typography.Paragraph>
            <Tag color="green">{t('mfa.on')}</Tag>
            {status.enabled_at ? t('mfa.onSince', { at: dateTime(status.enabled_at) }) : null}
            {status.required ? <Tag style={{ marginLeft: 8 }}>{t('mfa.requiredByCompany')}</Tag> : null}
          </Typography.Paragraph>
          <Typography.Paragraph type={status.recovery_codes_left <= 2 ? 'warning' : 'secondary'}>
            {t('mfa.codesLeft', { n: status.recovery_codes_left })}
          </Typography.Paragraph>
          <Space wrap>
            <Button onClick={renew} loading={busy}>{t('mfa.renewCodes')}</Button>
            {!status.required ? <Button danger onClick={disable}>{t('mfa.disable')}</Button> : null}
          </Space>
        </>
      ) : (
        <>
          <Typography.Paragraph>
            <Tag>{t('mfa.off')}</Tag>
            {t('mfa.offExplain')}
          </Typography.Paragraph>
          <Button type="primary" onClick={start} loading={busy}>{t('mfa.enable')}</Button>
        </>
      )}
    </Card>
  );
}
