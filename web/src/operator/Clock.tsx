// The test clock (only when the server runs with --test-clock): moving it forward runs every
// daily job for each day crossed, in order, before it answers.
import { useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Descriptions, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

interface ClockState {
  now: string;
  test_clock: boolean;
}

export default function Clock() {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const clock = useApi<ClockState>('/api/v1/operator/clock');
  const [to, setTo] = useState<Dayjs | null>(null);
  const [busy, setBusy] = useState(false);
  const move = async (target: Dayjs) => {
    setBusy(true);
    try {
      const r = await api.post<ClockState>('/api/v1/operator/clock', { now: target.format('YYYY-MM-DDTHH:mm:ssZ') });
      clock.setData(r);
      message.success(t('op.clockMoved', { now: dateTime(r.now) }));
    } catch (e) {
      message.error(err(e));
    } finally {
      setBusy(false);
    }
  };
  const now = clock.data ? dayjs(clock.data.now) : null;
  return (
    <>
      <div className="page-title">
        <h1>{t('op.clock')}</h1>
      </div>
      <ErrorAlert error={clock.error} onRetry={clock.reload} />
      {clock.data && !clock.data.test_clock && <Alert type="info" showIcon title={t('op.clockOff')} />}
      {clock.data?.test_clock && now && (
        <Card>
          <Descriptions column={1}>
            <Descriptions.Item label={t('op.clockNow')}>
              <strong data-testid="clock-now">{dateTime(clock.data.now)}</strong>
            </Descriptions.Item>
          </Descriptions>
          <Space wrap>
            {[1, 7, 30].map((d) => (
              <Button key={d} loading={busy} onClick={() => move(now.add(d, 'day'))}>
                {t('op.clockPlus', { n: d })}
              </Button>
            ))}
            <DatePicker showTime value={to} onChange={setTo} aria-label={t('op.clockTo')} disabledDate={(d) => d.isBefore(now, 'day')} />
            <Button type="primary" disabled={!to} loading={busy} onClick={() => to && move(to)}>
              {t('op.clockMove')}
            </Button>
          </Space>
        </Card>
      )}
    </>
  );
}
