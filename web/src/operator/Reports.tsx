// Reports for the operator: revenue per month by what was bought, and the activation SLA
// (every activation against its working-day deadline). Billing metadata only.
import { lazy, Suspense, useMemo } from 'react';
import { Card, Skeleton, Space, Statistic, Table, Tag } from 'antd';
import type { ChartOption } from '../components/Chart';
import { ErrorAlert } from '../components/ErrorAlert';
import { yuan } from '../api';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';

const Chart = lazy(() => import('../components/Chart'));

interface Revenue {
  months: string[];
  total_fen: number[];
  by_kind_fen: Record<string, number[]>;
  twelve_months_fen: number;
}

function RevenueChart() {
  const { t, locale } = useI18n();
  const r = useApi<Revenue>('/api/v1/operator/reports/revenue');
  const option = useMemo<ChartOption | null>(() => {
    if (!r.data) return null;
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => yuan(v * 100, locale) },
      legend: { top: 0 },
      grid: { left: 72, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'category', data: r.data.months },
      yAxis: { type: 'value' },
      series: Object.entries(r.data.by_kind_fen).map(([kind, values]) => ({
        type: 'bar',
        stack: 'revenue',
        name: t(`orderKind.${kind}` as MessageKey),
        data: values.map((v) => v / 100),
      })),
    };
  }, [r.data, t, locale]);
  return (
    <Card title={t('op.revenue')}>
      <ErrorAlert error={r.error} onRetry={r.reload} />
      {r.data && <Statistic title={t('op.revenue12')} value={yuan(r.data.twelve_months_fen, locale)} style={{ marginBottom: 12 }} />}
      <Suspense fallback={<Skeleton active />}>{option && <Chart option={option} label={t('op.revenue')} height={320} />}</Suspense>
    </Card>
  );
}

interface SlaReport {
  items: Array<{ id: number; tenant_slug: string; order_number: string; deadline_at: string | null; activated_at: string | null; met: boolean | null; late: boolean }>;
  summary: { met: number; missed: number; pending: number; late_pending: number };
  months: string[];
  by_month: { met: number[]; missed: number[]; pending: number[]; late_pending: number[] };
}

const slaSeries = [
  ['met', 'op.slaMet', '#52c41a'],
  ['missed', 'op.slaMissed', '#cf1322'],
  ['pending', 'op.slaPending', '#1677ff'],
  ['late_pending', 'op.slaLatePending', '#fa8c16'],
] as const;

function Sla() {
  const { t } = useI18n();
  const r = useApi<SlaReport>('/api/v1/operator/reports/activation-sla');
  const s = r.data?.summary;
  // Activations per month in which the payment was confirmed, by outcome.
  const option = useMemo<ChartOption | null>(() => {
    if (!r.data) return null;
    const by = r.data.by_month;
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'category', data: r.data.months },
      yAxis: { type: 'value', minInterval: 1 },
      series: slaSeries.map(([key, label, color]) => ({ type: 'bar', stack: 'sla', name: t(label), itemStyle: { color }, data: by[key] })),
    };
  }, [r.data, t]);
  return (
    <>
      {s && (
        <Space size="large" style={{ marginBottom: 16 }} wrap>
          <Statistic title={t('op.slaMet')} value={s.met} />
          <Statistic title={t('op.slaMissed')} value={s.missed} styles={{ content: { color: s.missed ? '#cf1322' : undefined } }} />
          <Statistic title={t('op.slaPending')} value={s.pending} />
          <Statistic title={t('op.slaLatePending')} value={s.late_pending} styles={{ content: { color: s.late_pending ? '#cf1322' : undefined } }} />
        </Space>
      )}
      <ErrorAlert error={r.error} onRetry={r.reload} />
      <Suspense fallback={<Skeleton active />}>{option && <Chart option={option} label={t('op.slaChart')} height={260} />}</Suspense>
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={r.data?.items ?? []}
        locale={{ emptyText: t('op.noActivations') }}
        columns={[
          { title: t('billing.number'), dataIndex: 'order_number' },
          { title: t('operator.tenant'), dataIndex: 'tenant_slug' },
          { title: t('op.deadline'), render: (_, i) => dateTime(i.deadline_at) },
          { title: t('op.activatedAtCol'), render: (_, i) => dateTime(i.activated_at) },
          { title: '', render: (_, i) => (i.met === null ? (i.late ? <Tag color="red">{t('op.late')}</Tag> : null) : <Tag color={i.met ? 'green' : 'red'}>{i.met ? t('op.slaMet') : t('op.slaMissed')}</Tag>) },
        ]}
      />
    </>
  );
}

export default function Reports() {
  const { t } = useI18n();
  return (
    <>
      <div className="page-title">
        <h1>{t('op.reports')}</h1>
      </div>
      <Space direction="vertical" style={{ width: '100%' }} size="large">
        <RevenueChart />
        <Card title={t('op.tab.sla')}>
          <Sla />
        </Card>
      </Space>
    </>
  );
}
