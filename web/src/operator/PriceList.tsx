// The price list: the version in force and its history, and publishing a new version with
// changed prices and promotions (orders keep the version they were placed under). Prices are
// entered in yuan and sent in fen; percentages in %, sent in basis points.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Input, InputNumber, Select, Space, Table, Tag } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, newIdempotencyKey, yuan, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';

interface Promotion {
  code: string;
  name: string;
  kind: 'percent' | 'amount';
  value: number;
  starts_on: string;
  ends_on: string;
  applies_to: 'new' | 'renewal' | 'both';
}

interface PriceDocument {
  plans: Array<{ code: string; name: string; seat_year_fen: number; min_seats: number }>;
  seat_packages: Array<{ code: string; name: string; seats: number; year_fen: number }>;
  multi_year: Array<{ years: number; discount_bp: number }>;
  promotions: Promotion[];
  sms_packs: Array<{ code: string; name: string; points: number; price_fen: number }>;
  fax_packs: Array<{ code: string; name: string; pages: number; price_fen: number }>;
  [other: string]: unknown;
}

interface Version {
  version: number;
  note: string;
  published_at: string;
  document: PriceDocument;
}

export default function PriceList() {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const versions = useApi<ListPage<Version>>('/api/v1/operator/price-lists');
  const current = versions.data?.items[0];
  const [draft, setDraft] = useState<PriceDocument | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (current && !draft) setDraft(structuredClone(current.document));
  }, [current, draft]);

  const publish = async () => {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<{ version: number }>('/api/v1/operator/price-lists', { note, document: draft }, newIdempotencyKey());
      message.success(t('price.published', { version: r.version }));
      setNote('');
      setDraft(null);
      versions.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const set = (patch: Partial<PriceDocument>) => setDraft((d) => (d ? { ...d, ...patch } : d));
  const fenInput = (value: number, onChange: (fen: number) => void, label: string) => (
    <InputNumber min={0} precision={2} prefix="¥" value={value / 100} aria-label={label} onChange={(v) => onChange(Math.round((v ?? 0) * 100))} />
  );

  return (
    <>
      <div className="page-title">
        <h1>{t('price.title')}</h1>
        {current && <Tag color="blue">{t('price.inForce', { version: current.version, at: dateTime(current.published_at) })}</Tag>}
      </div>
      <ErrorAlert error={versions.error} onRetry={versions.reload} />
      {draft && (
        <Space direction="vertical" style={{ width: '100%' }} size="large">
          <Card size="small" title={t('price.plans')}>
            <Table
              rowKey="code"
              size="small"
              pagination={false}
              dataSource={draft.plans}
              columns={[
                { title: t('price.name'), dataIndex: 'name' },
                { title: t('price.minSeats'), dataIndex: 'min_seats' },
                {
                  title: t('price.seatYear'),
                  render: (_, p, i) => fenInput(p.seat_year_fen, (fen) => set({ plans: draft.plans.map((x, j) => (j === i ? { ...x, seat_year_fen: fen } : x)) }), `${p.name} ${t('price.seatYear')}`),
                },
              ]}
            />
          </Card>
          <Card size="small" title={t('price.packs')}>
            <Table
              rowKey="code"
              size="small"
              pagination={false}
              dataSource={[...draft.sms_packs.map((p) => ({ ...p, list: 'sms_packs' as const })), ...draft.fax_packs.map((p) => ({ ...p, list: 'fax_packs' as const }))]}
              columns={[
                { title: t('price.name'), dataIndex: 'name' },
                {
                  title: t('price.price'),
                  render: (_, p) =>
                    fenInput(p.price_fen, (fen) => set({ [p.list]: (draft[p.list] as Array<{ code: string }>).map((x) => (x.code === p.code ? { ...x, price_fen: fen } : x)) }), `${p.name} ${t('price.price')}`),
                },
              ]}
            />
          </Card>
          <Card size="small" title={t('price.multiYear')}>
            <Space wrap>
              {draft.multi_year.map((m, i) => (
                <Space key={m.years}>
                  {t('billing.yearsN', { n: m.years })}
                  <InputNumber min={0} max={50} suffix="%" value={m.discount_bp / 100} aria-label={t('price.discountFor', { n: m.years })}
                    onChange={(v) => set({ multi_year: draft.multi_year.map((x, j) => (j === i ? { ...x, discount_bp: Math.round((v ?? 0) * 100) } : x)) })} />
                </Space>
              ))}
            </Space>
          </Card>
          <Card size="small" title={t('price.promotions')}>
            {draft.promotions.map((p, i) => {
              const update = (patch: Partial<Promotion>) => set({ promotions: draft.promotions.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
              return (
                <Space key={i} wrap style={{ marginBottom: 8 }}>
                  <Input value={p.code} placeholder={t('price.code')} aria-label={t('price.code')} onChange={(e) => update({ code: e.target.value })} style={{ width: 110 }} />
                  <Input value={p.name} placeholder={t('price.name')} aria-label={t('price.name')} onChange={(e) => update({ name: e.target.value })} style={{ width: 140 }} />
                  <Select value={p.kind} aria-label={t('price.kind')} style={{ width: 110 }} onChange={(kind) => update({ kind, value: 0 })}
                    options={[{ value: 'percent', label: t('price.percentOff') }, { value: 'amount', label: t('price.amountOff') }]} />
                  {p.kind === 'percent' ? (
                    <InputNumber min={0} max={90} suffix="%" value={p.value / 100} aria-label={t('price.value')} onChange={(v) => update({ value: Math.round((v ?? 0) * 100) })} />
                  ) : (
                    fenInput(p.value, (fen) => update({ value: fen }), t('price.value'))
                  )}
                  <DatePicker.RangePicker
                    value={[p.starts_on ? dayjs(p.starts_on) : null, p.ends_on ? dayjs(p.ends_on) : null]}
                    aria-label={t('price.window')}
                    onChange={(r) => update({ starts_on: r?.[0]?.format('YYYY-MM-DD') ?? '', ends_on: r?.[1]?.format('YYYY-MM-DD') ?? '' })}
                  />
                  <Select value={p.applies_to} aria-label={t('price.appliesTo')} style={{ width: 120 }} onChange={(applies_to) => update({ applies_to })}
                    options={(['new', 'renewal', 'both'] as const).map((a) => ({ value: a, label: t(`price.appliesTo.${a}` as MessageKey) }))} />
                  <Button icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => set({ promotions: draft.promotions.filter((_, j) => j !== i) })} />
                </Space>
              );
            })}
            <div>
              <Button icon={<PlusOutlined />}
                onClick={() => set({ promotions: [...draft.promotions, { code: '', name: '', kind: 'percent', value: 1000, starts_on: '', ends_on: '', applies_to: 'new' }] })}>
                {t('price.addPromotion')}
              </Button>
            </div>
          </Card>
          <Card size="small" title={t('price.publish')}>
            <Alert type="info" showIcon title={t('price.publishExplain')} style={{ marginBottom: 12 }} />
            <ErrorAlert error={error} />
            <Space.Compact style={{ width: '100%', maxWidth: 640 }}>
              <Input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('price.note')} aria-label={t('price.note')} />
              <Button type="primary" loading={busy} disabled={!note.trim()} onClick={publish}>{t('price.publish')}</Button>
            </Space.Compact>
          </Card>
        </Space>
      )}
      <Card size="small" title={t('price.history')} style={{ marginTop: 16 }}>
        <Table<Version>
          rowKey="version"
          size="small"
          pagination={false}
          dataSource={versions.data?.items ?? []}
          columns={[
            { title: t('price.version'), dataIndex: 'version' },
            { title: t('price.note'), dataIndex: 'note' },
            { title: t('op.publishedAt'), render: (_, v) => dateTime(v.published_at) },
            { title: t('price.standardSeat'), render: (_, v) => yuan(v.document.plans[0]?.seat_year_fen, locale) },
            { title: t('price.promotions'), render: (_, v) => v.document.promotions.map((p) => <Tag key={p.code}>{p.name}</Tag>) },
          ]}
        />
      </Card>
    </>
  );
}
