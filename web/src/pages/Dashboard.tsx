// The dashboard within the caller's data scope: the funnel by stage, new customers per week,
// follow-ups per user per week, won amount per month, and overdue follow-ups.
import { lazy, Suspense, useMemo, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Card, Col, Row, Skeleton, Statistic } from 'antd';
import { yuan } from '../api';
import type { ChartOption } from '../components/Chart';
import { ErrorAlert } from '../components/ErrorAlert';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { useMe } from '../session';

// ECharts is most of this page's weight: the figures show first, the charts when it arrives.
const Chart = lazy(() => import('../components/Chart'));

function ChartCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card title={title}>
      <Suspense fallback={<Skeleton.Node active style={{ width: '100%', height: 280 }} />}>{children}</Suspense>
    </Card>
  );
}

interface DashboardData {
  funnel: Array<{ stage_id: number; stage: string; probability: number; count: number; amount_fen: number }>;
  weeks: string[];
  new_customers_per_week: number[];
  follow_ups_per_user_per_week: Array<{ user_id: number; name: string; counts: number[] }>;
  won_amount_per_month: Array<{ month: string; amount_fen: number }>;
  overdue_follow_ups: number;
}

export default function Dashboard() {
  const { t, locale } = useI18n();
  const me = useMe();
  const { data, error, loading, reload } = useApi<DashboardData>('/api/v1/dashboard');

  const charts = useMemo(() => {
    if (!data) return null;
    const weeks = data.weeks.map((w) => w.slice(5));
    const funnel: ChartOption = {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number; data: { amount: number } }) =>
          `${p.name}<br/>${t('dashboard.count')}: ${p.value}<br/>${t('dashboard.amount')}: ${yuan(p.data.amount, locale)}`,
      },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          left: '10%',
          width: '80%',
          label: { position: 'inside', formatter: '{b}: {c}', color: '#fff' },
          data: data.funnel.map((s) => ({ name: s.stage, value: s.count, amount: s.amount_fen })),
        },
      ],
    };
    const newCustomers: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 16, top: 16, bottom: 32 },
      xAxis: { type: 'category', data: weeks },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: t('dashboard.newCustomers'), data: data.new_customers_per_week }],
    };
    const followUps: ChartOption = {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'category', data: weeks },
      yAxis: { type: 'value', minInterval: 1 },
      series: data.follow_ups_per_user_per_week.map((u) => ({ type: 'line', name: u.name, data: u.counts, smooth: true })),
    };
    const won: ChartOption = {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => yuan(v * 100, locale) },
      grid: { left: 64, right: 16, top: 16, bottom: 32 },
      xAxis: { type: 'category', data: data.won_amount_per_month.map((m) => m.month) },
      yAxis: { type: 'value' },
      series: [{ type: 'bar', name: t('dashboard.won'), data: data.won_amount_per_month.map((m) => m.amount_fen / 100) }],
    };
    return { funnel, newCustomers, followUps, won };
  }, [data, t, locale]);

  const openCount = data?.funnel.reduce((n, s) => n + s.count, 0) ?? 0;
  const openAmount = data?.funnel.reduce((n, s) => n + s.amount_fen, 0) ?? 0;
  const wonThisMonth = data?.won_amount_per_month.at(-1)?.amount_fen ?? 0;

  return (
    <>
      <div className="page-title">
        <h1>{t('dashboard.title', { name: me.user.name })}</h1>
      </div>
      <ErrorAlert error={error} onRetry={reload} />
      {loading && !data ? (
        <Skeleton active />
      ) : data && charts ? (
        <>
          <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
            <Col xs={12} md={6}>
              <Card><Statistic title={t('dashboard.openOpportunities')} value={openCount} /></Card>
            </Col>
            <Col xs={12} md={6}>
              <Card><Statistic title={t('dashboard.pipelineAmount')} value={yuan(openAmount, locale)} /></Card>
            </Col>
            <Col xs={12} md={6}>
              <Card><Statistic title={t('dashboard.wonThisMonth')} value={yuan(wonThisMonth, locale)} /></Card>
            </Col>
            <Col xs={12} md={6}>
              <Card>
                <Link to="/tasks?view=overdue">
                  <Statistic
                    title={t('dashboard.overdue')}
                    value={data.overdue_follow_ups}
                    styles={{ content: { color: data.overdue_follow_ups ? '#cf1322' : undefined } }}
                  />
                </Link>
              </Card>
            </Col>
          </Row>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              <ChartCard title={t('dashboard.funnel')}>
                <Chart option={charts.funnel} label={t('dashboard.funnel')} />
              </ChartCard>
            </Col>
            <Col xs={24} lg={12}>
              <ChartCard title={t('dashboard.newCustomers')}>
                <Chart option={charts.newCustomers} label={t('dashboard.newCustomers')} />
              </ChartCard>
            </Col>
            <Col xs={24} lg={12}>
              <ChartCard title={t('dashboard.followUps')}>
                <Chart option={charts.followUps} label={t('dashboard.followUps')} />
              </ChartCard>
            </Col>
            <Col xs={24} lg={12}>
              <ChartCard title={t('dashboard.won')}>
                <Chart option={charts.won} label={t('dashboard.won')} />
              </ChartCard>
            </Col>
          </Row>
        </>
      ) : null}
    </>
  );
}
