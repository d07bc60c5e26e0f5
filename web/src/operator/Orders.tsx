// Orders of every tenant. A bank payment is confirmed here (amount, bank reference, date paid;
// one idempotency key per confirmation, so a double click cannot pay twice): the invoice is
// issued and what the order bought takes effect or joins the activation queue.
import { useState } from 'react';
import { Alert, App, Button, DatePicker, Form, Input, InputNumber, Modal, Segmented, Table, Tag } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, ApiError, newIdempotencyKey, toFen, yuan, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { fieldMessage, useI18n, type MessageKey } from '../i18n';

interface Order {
  id: number;
  number: string;
  kind: string;
  status: string;
  tenant_id: number;
  parties: { tenant: { company: string; slug: string } };
  lines: Array<{ description: string }>;
  total_fen: number;
  created_at: string;
  accepted_at: string | null;
  paid_at: string | null;
  invoice: { id: number; number: string } | null;
}

interface PaymentForm {
  amount: number;
  bank_reference: string;
  paid_on: Dayjs;
}

export default function Orders() {
  const { t, err, locale } = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState<string>('pending');
  const orders = useApi<ListPage<Order>>('/api/v1/operator/orders', { status: status === 'all' ? undefined : status, limit: 100 });
  const [paying, setPaying] = useState<Order | null>(null);
  const [key, setKey] = useState({ body: '', value: '' });
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<PaymentForm>();
  const [payError, setPayError] = useState<unknown>();
  const clock = useApi<{ now: string }>('/api/v1/operator/clock');

  const open = (o: Order) => {
    setPaying(o);
    setPayError(undefined);
    setKey({ body: '', value: '' });
    // Paid today by the server's clock (the test clock, when it runs).
    form.setFieldsValue({ amount: o.total_fen / 100, bank_reference: '', paid_on: dayjs(clock.data?.now ?? undefined) });
  };

  const confirm = async (v: PaymentForm) => {
    if (!paying) return;
    setBusy(true);
    const body = { amount_fen: toFen(v.amount), bank_reference: v.bank_reference, paid_on: v.paid_on.format('YYYY-MM-DD') };
    // One key per confirmation as entered: a double click resends the same key (paid once);
    // a corrected amount is a new request with a new key.
    const text = JSON.stringify(body);
    let k = key;
    if (key.body !== text) {
      k = { body: text, value: newIdempotencyKey() };
      setKey(k);
    }
    try {
      await api.post(`/api/v1/operator/orders/${paying.id}/payments`, body, k.value);
      message.success(t('op.paymentConfirmed', { number: paying.number }));
      setPaying(null);
      orders.reload();
    } catch (e) {
      setPayError(e);
      if (e instanceof ApiError) {
        const names: Record<string, keyof PaymentForm> = { amount_fen: 'amount', bank_reference: 'bank_reference', paid_on: 'paid_on' };
        form.setFields(
          Object.entries(e.fields)
            .filter(([k]) => names[k])
            .map(([k, text]) => ({ name: names[k], errors: [fieldMessage(locale, text)] })),
        );
      }
      // A late renewal owes interest: say what is due and offer it.
      if (e instanceof ApiError && e.code === 'amount_mismatch' && typeof e.details.due_fen === 'number') {
        form.setFieldValue('amount', e.details.due_fen / 100);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-title">
        <h1>{t('op.orders')}</h1>
        <Segmented
          value={status}
          onChange={(v) => setStatus(String(v))}
          options={['pending', 'paid', 'cancelled', 'all'].map((s) => ({ value: s, label: t(`op.orderFilter.${s}` as MessageKey) }))}
        />
      </div>
      <ErrorAlert error={orders.error} onRetry={orders.reload} />
      <Table<Order>
        rowKey="id"
        loading={orders.loading}
        dataSource={orders.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('billing.noOrders') }}
        columns={[
          { title: t('billing.number'), dataIndex: 'number' },
          { title: t('operator.tenant'), render: (_, o) => o.parties?.tenant?.company ?? o.tenant_id },
          { title: t('billing.item'), render: (_, o) => o.lines.map((l) => l.description).join('；') },
          { title: t('billing.total'), render: (_, o) => yuan(o.total_fen, locale) },
          { title: t('opportunity.status'), render: (_, o) => <Tag>{t(`order.status.${o.status}` as MessageKey)}</Tag> },
          { title: t('common.createdAt'), render: (_, o) => dateTime(o.created_at) },
          {
            title: '',
            render: (_, o) => (
              <>
                <a href={`/api/v1/operator/orders/${o.id}/document`} target="_blank" rel="noreferrer">{t('billing.document')}</a>
                {o.invoice && (
                  <a href={`/api/v1/operator/invoices/${o.invoice.id}/document`} target="_blank" rel="noreferrer" style={{ marginInlineStart: 8 }}>
                    {t('billing.invoiceDocument', { number: o.invoice.number })}
                  </a>
                )}
                {o.status === 'pending' && (
                  <Button size="small" type="primary" style={{ marginInlineStart: 8 }} onClick={() => open(o)}>
                    {t('op.confirmPayment')}
                  </Button>
                )}
              </>
            ),
          },
        ]}
      />
      <Modal
        open={paying !== null}
        title={t('op.confirmPaymentOf', { number: paying?.number ?? '' })}
        onCancel={() => setPaying(null)}
        onOk={() => form.submit()}
        confirmLoading={busy}
        okText={t('op.confirmPayment')}
        destroyOnHidden
      >
        {payError ? (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 16 }}
            title={err(payError)}
            description={
              payError instanceof ApiError && typeof payError.details.interest_fen === 'number' && payError.details.interest_fen > 0
                ? t('op.interestDue', {
                    interest: yuan(payError.details.interest_fen, locale),
                    days: String(payError.details.days_late ?? ''),
                  })
                : undefined
            }
          />
        ) : null}
        <Form form={form} layout="vertical" onFinish={confirm}>
          <Form.Item name="amount" label={t('op.amountReceived')} rules={[{ required: true, message: t('form.required') }]}>
            <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="bank_reference" label={t('op.bankReference')} rules={[{ required: true, message: t('form.required') }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="paid_on" label={t('op.paidOn')} rules={[{ required: true, message: t('form.required') }]}>
            <DatePicker style={{ width: '100%' }} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
