// The boss's view of the service: the subscription (state, expiry, days left, seats, the
// renewal with its price and deadline), storage (used, left, per user; buy blocks), SMS and
// fax points (balances, lots; buy packs), orders with their printable documents (accept,
// cancel; paid by bank transfer and confirmed by the operator), and the notice register.
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  InputNumber,
  Popconfirm,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { api, newIdempotencyKey, yuan, type ListPage } from '../api';
import { bytes } from '../components/Attachments';
import { ErrorAlert } from '../components/ErrorAlert';
import { NoticeTable, type Notice } from '../components/NoticeTable';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { useSession } from '../session';

interface Quote {
  years: number;
  lines: Array<{ code: string; description: string; amount_fen: number }>;
  base_fen: number;
  interest_fen: number;
  fee_fen: number;
  total_fen: number;
  reopening: boolean;
}

interface Subscription {
  state: string;
  ending: string;
  plan: string;
  seats: number;
  active_users: number;
  term_start: string | null;
  expiry: string | null;
  days_left: number | null;
  renewal_deadline: string | null;
  in_initial_term: boolean;
  non_renewal_notice: boolean;
  storage_blocks: number;
  storage_quota_bytes: number;
  renewal_quote: Quote | null;
  points: { sms: number; fax: number };
  points_usable: boolean;
}

interface Order {
  id: number;
  number: string;
  kind: string;
  status: string;
  lines: Array<{ description: string; amount_fen: number }>;
  total_fen: number;
  created_at: string;
  accepted_at: string | null;
  paid_at: string | null;
  bank: { payee: string; bank_name: string; bank_account: string; reference: string };
}

interface Ledger {
  entries: Array<{ kind: string; amount_fen: number; balance_fen: number; at?: string; description?: string }>;
  balance_fen: number;
  invoices: Array<{ id: number; number: string; total_fen: number; issued_at?: string; lines: Array<{ code: string; description: string; amount_fen: number }> }>;
}

interface Usage {
  used_bytes: number;
  quota_bytes: number;
  left_bytes: number;
  by_user: Array<{ user_id: number; name: string; used_bytes: number }>;
}

interface PriceList {
  sms_packs: Array<{ code: string; name: string; price_fen: number }>;
  fax_packs: Array<{ code: string; name: string; price_fen: number }>;
  storage: { block_mib: number; block_month_fen: number };
}

interface Points {
  balances: { sms: number; fax: number };
  held: { sms: number; fax: number };
  lots: Array<{ id: number; kind: string; points: number; remaining: number; bought_at?: string; status?: string }>;
}

const orderColor: Record<string, string> = { pending: 'gold', paid: 'green', cancelled: 'default', active: 'green' };

function useOrder(onPlaced: () => void) {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const place = async (body: Record<string, unknown>) => {
    setBusy(true);
    try {
      const o = await api.post<Order>('/api/v1/billing/orders', body, newIdempotencyKey());
      await api.post(`/api/v1/billing/orders/${o.id}/accept`);
      message.success(t('billing.orderPlaced', { number: o.number }));
      onPlaced();
    } catch (e) {
      message.error(err(e));
    } finally {
      setBusy(false);
    }
  };
  return { place, busy };
}

function Orders({ orders, reload }: { orders: Order[]; reload: () => void }) {
  const { t, err, locale } = useI18n();
  const { message } = App.useApp();
  const act = async (o: Order, what: 'accept' | 'cancel') => {
    try {
      await api.post(`/api/v1/billing/orders/${o.id}/${what}`);
      reload();
    } catch (e) {
      message.error(err(e));
    }
  };
  return (
    <Table<Order>
      rowKey="id"
      size="small"
      pagination={false}
      scroll={{ x: 'max-content' }}
      dataSource={orders}
      locale={{ emptyText: t('billing.noOrders') }}
      expandable={{
        expandedRowRender: (o) => (
          <Descriptions size="small" column={1} title={t('billing.payBy')}>
            <Descriptions.Item label={t('billing.payee')}>{o.bank.payee}</Descriptions.Item>
            <Descriptions.Item label={t('billing.bank')}>{o.bank.bank_name}</Descriptions.Item>
            <Descriptions.Item label={t('billing.account')}>{o.bank.bank_account}</Descriptions.Item>
            <Descriptions.Item label={t('billing.reference')}>{o.bank.reference}</Descriptions.Item>
          </Descriptions>
        ),
      }}
      columns={[
        { title: t('billing.number'), dataIndex: 'number' },
        { title: t('billing.item'), render: (_, o) => o.lines.map((l) => l.description).join('；') },
        { title: t('billing.total'), render: (_, o) => yuan(o.total_fen, locale) },
        { title: t('opportunity.status'), render: (_, o) => <Tag color={orderColor[o.status]}>{t(`order.status.${o.status}` as MessageKey)}</Tag> },
        { title: t('common.createdAt'), render: (_, o) => dateTime(o.created_at) },
        {
          title: '',
          render: (_, o) => (
            <Space>
              <a href={`/api/v1/billing/orders/${o.id}/document`} target="_blank" rel="noreferrer">
                {t('billing.document')}
              </a>
              {o.status === 'pending' && !o.accepted_at && <Button size="small" onClick={() => act(o, 'accept')}>{t('billing.accept')}</Button>}
              {o.status === 'pending' && (
                <Popconfirm title={t('billing.cancelConfirm')} onConfirm={() => act(o, 'cancel')}>
                  <Button size="small" type="link" danger>{t('billing.cancel')}</Button>
                </Popconfirm>
              )}
            </Space>
          ),
        },
      ]}
    />
  );
}

export default function Billing() {
  const { t, locale } = useI18n();
  const { refresh } = useSession();
  const [params, setParams] = useSearchParams();
  const sub = useApi<Subscription>('/api/v1/billing/subscription');
  const orders = useApi<ListPage<Order>>('/api/v1/billing/orders', { limit: 50 });
  const usage = useApi<Usage>('/api/v1/attachments/usage');
  const prices = useApi<PriceList>('/api/v1/price-list');
  const points = useApi<Points>('/api/v1/billing/points');
  const notices = useApi<ListPage<Notice>>('/api/v1/billing/notices', { limit: 50 });
  const ledger = useApi<Ledger>('/api/v1/billing/ledger');
  const reloadAll = () => {
    sub.reload();
    orders.reload();
    usage.reload();
    points.reload();
    void refresh();
  };
  const { place, busy } = useOrder(() => {
    orders.reload();
    setParams({ tab: 'orders' }, { replace: true });
  });
  const [years, setYears] = useState(1);
  const [blocks, setBlocks] = useState(1);
  const [seats, setSeats] = useState(1);
  const [pack, setPack] = useState<string>();

  const s = sub.data;
  const u = usage.data;
  const pendingOrders = (orders.data?.items ?? []).filter((o) => o.status === 'pending').length;

  const subscriptionTab = s && (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={14}>
        <Card>
          <Space size="large" wrap style={{ marginBottom: 16 }}>
            <Statistic title={t('billing.state')} value={t(`state.${s.state}` as MessageKey)} />
            <Statistic title={t('billing.expiry')} value={s.expiry ?? '—'} />
            <Statistic title={t('billing.daysLeft')} value={s.days_left ?? '—'} styles={{ content: { color: (s.days_left ?? 99) < 15 ? '#cf1322' : undefined } }} />
            <Statistic title={t('billing.seats')} value={`${s.active_users} / ${s.seats}`} />
          </Space>
          <Descriptions size="small" column={1}>
            <Descriptions.Item label={t('billing.term')}>{s.term_start ? `${s.term_start} — ${s.expiry}` : '—'}</Descriptions.Item>
            <Descriptions.Item label={t('billing.renewalDeadline')}>{s.renewal_deadline ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('billing.initialTerm')}>{s.in_initial_term ? t('billing.yes') : t('billing.no')}</Descriptions.Item>
            {s.non_renewal_notice && <Descriptions.Item label={t('billing.nonRenewal')}>{t('billing.nonRenewalGiven')}</Descriptions.Item>}
          </Descriptions>
        </Card>
      </Col>
      <Col xs={24} lg={10}>
        <Card title={t('billing.renew')}>
          {s.renewal_quote ? (
            <>
              <Space style={{ marginBottom: 12 }}>
                <span>{t('billing.years')}</span>
                <Select
                  value={years}
                  onChange={setYears}
                  aria-label={t('billing.years')}
                  options={[1, 2, 3].map((y) => ({ value: y, label: t('billing.yearsN', { n: y }) }))}
                />
              </Space>
              <RenewalQuote quote={s.renewal_quote} />
              {years > 1 && <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>{t('billing.multiYear')}</Typography.Paragraph>}
              <Button type="primary" block loading={busy} onClick={() => place({ kind: 'renewal', years })} style={{ marginTop: 12 }}>
                {t('billing.orderRenewal')}
              </Button>
            </>
          ) : (
            <Alert type="info" title={t('billing.noRenewal')} />
          )}
        </Card>
        <Card title={t('billing.addSeats')} style={{ marginTop: 16 }}>
          <Space>
            <InputNumber min={1} max={1000} value={seats} onChange={(v) => setSeats(v ?? 1)} aria-label={t('billing.addSeats')} />
            <Button loading={busy} onClick={() => place({ kind: 'seats', seats })}>{t('billing.order')}</Button>
          </Space>
        </Card>
      </Col>
    </Row>
  );

  const storageTab = u && (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={14}>
        <Card>
          <Typography.Paragraph>{t('attachment.quota', { used: bytes(u.used_bytes), quota: bytes(u.quota_bytes), left: bytes(u.left_bytes) })}</Typography.Paragraph>
          <Progress percent={u.quota_bytes ? Math.round((u.used_bytes / u.quota_bytes) * 100) : 0} aria-label={t('attachment.quotaLabel')} />
          <Table
            rowKey="user_id"
            size="small"
            pagination={false}
            style={{ marginTop: 16 }}
            dataSource={u.by_user ?? []}
            locale={{ emptyText: t('attachment.empty') }}
            columns={[
              { title: t('account.name'), dataIndex: 'name' },
              { title: t('billing.used'), render: (_, r) => bytes(r.used_bytes) },
            ]}
          />
        </Card>
      </Col>
      <Col xs={24} lg={10}>
        <Card title={t('billing.buyStorage')}>
          <Typography.Paragraph type="secondary">
            {t('billing.storagePrice', {
              mb: prices.data?.storage.block_mib ?? 100,
              price: yuan(prices.data?.storage.block_month_fen ?? 3000, locale),
            })}
          </Typography.Paragraph>
          <Space>
            <InputNumber min={1} max={1000} value={blocks} onChange={(v) => setBlocks(v ?? 1)} aria-label={t('billing.blocks')} />
            <span>{t('billing.blocks')}</span>
            <Button type="primary" loading={busy} onClick={() => place({ kind: 'storage', blocks })}>{t('billing.order')}</Button>
          </Space>
        </Card>
      </Col>
    </Row>
  );

  const packs = [...(prices.data?.sms_packs ?? []).map((p) => ({ ...p, kind: 'sms' })), ...(prices.data?.fax_packs ?? []).map((p) => ({ ...p, kind: 'fax' }))];
  const pointsTab = points.data && (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={14}>
        <Card>
          <Space size="large" style={{ marginBottom: 16 }}>
            <Statistic title={t('billing.smsPoints')} value={points.data.balances.sms} />
            <Statistic title={t('billing.faxPoints')} value={points.data.balances.fax} />
          </Space>
          {!s?.points_usable && <Alert type="warning" title={t('billing.pointsFrozen')} style={{ marginBottom: 12 }} />}
          <Table
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={points.data.lots}
            locale={{ emptyText: t('billing.noLots') }}
            columns={[
              { title: t('billing.kind'), render: (_, l) => l.kind.toUpperCase() },
              { title: t('billing.bought'), dataIndex: 'points' },
              { title: t('billing.remaining'), dataIndex: 'remaining' },
              { title: t('opportunity.status'), render: (_, l) => (l.status ? <Tag>{l.status}</Tag> : null) },
            ]}
          />
        </Card>
      </Col>
      <Col xs={24} lg={10}>
        <Card title={t('billing.buyPoints')}>
          <Space wrap>
            <Select
              style={{ width: 220 }}
              aria-label={t('billing.pack')}
              placeholder={t('billing.pack')}
              value={pack}
              onChange={setPack}
              options={packs.map((p) => ({ value: `${p.kind}:${p.code}`, label: `${p.name} · ${yuan(p.price_fen, locale)}` }))}
            />
            <Button
              type="primary"
              disabled={!pack}
              loading={busy}
              onClick={() => {
                const [kind, code] = pack!.split(':');
                void place({ kind, pack: code, quantity: 1 });
              }}
            >
              {t('billing.order')}
            </Button>
          </Space>
        </Card>
      </Col>
    </Row>
  );

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.billing')}</h1>
        <Button onClick={reloadAll}>{t('billing.refresh')}</Button>
      </div>
      <ErrorAlert error={sub.error || orders.error} onRetry={reloadAll} />
      <Tabs
        activeKey={params.get('tab') || 'subscription'}
        onChange={(k) => setParams({ tab: k }, { replace: true })}
        items={[
          { key: 'subscription', label: t('billing.tab.subscription'), children: subscriptionTab },
          { key: 'storage', label: t('billing.tab.storage'), children: storageTab },
          { key: 'points', label: t('billing.tab.points'), children: pointsTab },
          {
            key: 'orders',
            label: pendingOrders ? t('billing.tab.ordersPending', { n: pendingOrders }) : t('billing.tab.orders'),
            children: <Orders orders={orders.data?.items ?? []} reload={reloadAll} />,
          },
          {
            key: 'invoices',
            label: t('billing.tab.invoices'),
            children: (
              <>
                <Typography.Paragraph>
                  {t('billing.balance', { balance: yuan(ledger.data?.balance_fen ?? 0, locale) })}
                </Typography.Paragraph>
                <Table
                  rowKey="number"
                  size="small"
                  pagination={false}
                  scroll={{ x: 'max-content' }}
                  dataSource={ledger.data?.invoices ?? []}
                  locale={{ emptyText: t('billing.noInvoices') }}
                  expandable={{
                    expandedRowRender: (inv) => (
                      <Descriptions size="small" column={1} bordered>
                        {inv.lines.map((l, i) => (
                          <Descriptions.Item key={i} label={l.description}>{yuan(l.amount_fen, locale)}</Descriptions.Item>
                        ))}
                      </Descriptions>
                    ),
                  }}
                  columns={[
                    { title: t('billing.invoice'), dataIndex: 'number' },
                    { title: t('billing.total'), render: (_, inv) => yuan(inv.total_fen, locale) },
                    { title: t('billing.issuedAt'), render: (_, inv) => dateTime(inv.issued_at) },
                    {
                      title: '',
                      render: (_, inv) => (
                        <a href={`/api/v1/billing/invoices/${inv.id}/document`} target="_blank" rel="noreferrer">
                          {t('billing.invoiceDocument', { number: inv.number })}
                        </a>
                      ),
                    },
                  ]}
                />
              </>
            ),
          },
          {
            key: 'notices',
            label: t('billing.tab.notices'),
            children: (
              <NoticeTable notices={notices.data?.items ?? []} />
            ),
          },
        ]}
      />
    </>
  );
}

// The renewal price of one year as the server quotes it (with late-payment interest and the
// reopening fee when due); several years are priced on the order, with their discount.
function RenewalQuote({ quote }: { quote: Quote }) {
  const { t, locale } = useI18n();
  return (
    <Descriptions size="small" column={1} bordered title={t('billing.quoteFor', { n: quote.years })}>
      {quote.lines.map((l, i) => (
        <Descriptions.Item key={i} label={l.description}>{yuan(l.amount_fen, locale)}</Descriptions.Item>
      ))}
      {quote.interest_fen > 0 && <Descriptions.Item label={t('billing.interest')}>{yuan(quote.interest_fen, locale)}</Descriptions.Item>}
      {quote.fee_fen > 0 && <Descriptions.Item label={t('billing.fee')}>{yuan(quote.fee_fen, locale)}</Descriptions.Item>}
      <Descriptions.Item label={<strong>{t('billing.total')}</strong>}>
        <strong data-testid="renewal-total">{yuan(quote.total_fen, locale)}</strong>
      </Descriptions.Item>
    </Descriptions>
  );
}
