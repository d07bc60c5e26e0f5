// Customers within the caller's data scope: filters (kept in the address, so a view can be
// bookmarked), saved views, a column chooser, cursor paging with the total, bulk actions
// (transfer, return to the pool, tag, export) and a new-customer drawer with 查重.
import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { App, Button, Checkbox, Dropdown, Input, Popover, Select, Space, Table, Tag } from 'antd';
import { DownloadOutlined, PlusOutlined, SettingOutlined, StarOutlined } from '@ant-design/icons';
import { api, buildQuery, type ListPage, type Query } from '../api';
import { CustomerForm } from '../components/CustomerForm';
import { CursorPager } from '../components/CursorPager';
import { useCustomFields } from '../components/CustomFields';
import { ErrorAlert } from '../components/ErrorAlert';
import { useReturnToPool } from '../components/ReturnToPool';
import { dateTime } from '../format';
import { useApi, useCursor } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { isAdmin, isManagerial, useMe } from '../session';
import type { CrmSettings, Customer, User } from '../types';

const filterKeys = ['q', 'owner_id', 'level', 'status', 'source', 'industry', 'tag', 'sort'] as const;
type ColumnKey = 'level' | 'status' | 'industry' | 'source' | 'city' | 'phones' | 'owner' | 'tags' | 'last_follow_up_at' | 'next_follow_up_at' | 'updated_at';
const allColumns: ColumnKey[] = ['level', 'status', 'industry', 'source', 'city', 'phones', 'owner', 'tags', 'last_follow_up_at', 'next_follow_up_at', 'updated_at'];
const defaultColumns: ColumnKey[] = ['level', 'status', 'city', 'phones', 'owner', 'last_follow_up_at', 'next_follow_up_at'];
const columnsKey = 'kelu.customer-columns';

interface SavedView {
  id: number;
  entity: string;
  name: string;
  filters: Record<string, string>;
}

export default function CustomerList() {
  const { t, err } = useI18n();
  const { message, modal } = App.useApp();
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const paging = useCursor();
  const [selected, setSelected] = useState<number[]>([]);
  const [creating, setCreating] = useState(false);
  const [columns, setColumns] = useState<ColumnKey[]>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(columnsKey) || 'null') as ColumnKey[] | null;
      return saved?.filter((c) => allColumns.includes(c)) ?? defaultColumns;
    } catch {
      return defaultColumns;
    }
  });

  const customFields = useCustomFields('customer');
  const selectFields = customFields.filter((f) => f.type === 'select' || f.type === 'multi_select');
  const filters: Query = {};
  for (const k of filterKeys) filters[k] = params.get(k) || undefined;
  // Custom fields filter as cf.KEY=value.
  for (const [k, v] of params) if (k.startsWith('cf.') && v) filters[k] = v;
  const query: Query = { ...filters, limit: 25, with_total: 1, cursor: paging.cursor };
  const list = useApi<ListPage<Customer>>('/api/v1/customers', query);
  const settings = useApi<CrmSettings>('/api/v1/crm/settings');
  const views = useApi<ListPage<SavedView>>('/api/v1/saved-views');
  const customerViews = (views.data?.items ?? []).filter((v) => v.entity === 'customers');
  const users = useApi<ListPage<User>>(isManagerial(me.role) ? '/api/v1/users' : null, { limit: 200 });
  const askReturn = useReturnToPool();

  const setFilter = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    paging.reset();
    setSelected([]);
  };

  const options = (l?: string[]) => (l ?? []).map((v) => ({ value: v, label: v }));

  const columnDefs = useMemo(() => {
    const defs: Record<ColumnKey, object> = {
      level: { title: t('customer.level'), dataIndex: 'level', width: 70 },
      status: { title: t('customer.status'), dataIndex: 'status', width: 90 },
      industry: { title: t('customer.industry'), dataIndex: 'industry' },
      source: { title: t('customer.source'), dataIndex: 'source' },
      city: { title: t('customer.city'), render: (_: unknown, c: Customer) => [c.province, c.city].filter(Boolean).join(' ') },
      phones: { title: t('customer.phones'), render: (_: unknown, c: Customer) => c.phones.join(', ') },
      owner: {
        title: t('customer.owner'),
        render: (_: unknown, c: Customer) => (c.in_pool ? <Tag>{t('customer.inPool')}</Tag> : c.owner?.name ?? '—'),
      },
      tags: { title: t('customer.tags'), render: (_: unknown, c: Customer) => c.tags.map((x) => <Tag key={x}>{x}</Tag>) },
      last_follow_up_at: { title: t('customer.lastFollowUp'), render: (_: unknown, c: Customer) => dateTime(c.last_follow_up_at) },
      next_follow_up_at: { title: t('customer.nextFollowUp'), render: (_: unknown, c: Customer) => dateTime(c.next_follow_up_at) },
      updated_at: { title: t('common.updatedAt'), render: (_: unknown, c: Customer) => dateTime(c.updated_at) },
    };
    return [
      {
        title: t('customer.name'),
        key: 'name',
        fixed: 'left' as const,
        render: (_: unknown, c: Customer) => <Link to={`/customers/${c.id}`}>{c.name}</Link>,
      },
      ...columns.map((k) => ({ key: k, ...defs[k] })),
    ];
  }, [columns, t]);

  const saveColumns = (next: ColumnKey[]) => {
    setColumns(next);
    localStorage.setItem(columnsKey, JSON.stringify(next));
  };

  const runBulk = async (label: string, action: (id: number) => Promise<unknown>) => {
    let failed = 0;
    let lastError: unknown;
    for (const id of selected) {
      try {
        await action(id);
      } catch (e) {
        failed += 1;
        lastError = e;
      }
    }
    if (failed) message.error(t('bulk.partial', { action: label, failed, total: selected.length, reason: err(lastError) }));
    else message.success(t('bulk.done', { action: label, total: selected.length }));
    setSelected([]);
    list.reload();
  };

  const bulkTransfer = () => {
    let owner: number | undefined;
    modal.confirm({
      title: t('bulk.transferTitle', { count: selected.length }),
      content: (
        <Select
          style={{ width: '100%' }}
          aria-label={t('customer.owner')}
          placeholder={t('customer.owner')}
          options={(users.data?.items ?? []).filter((u) => u.status === 'active').map((u) => ({ value: u.id, label: u.name }))}
          onChange={(v: number) => (owner = v)}
        />
      ),
      onOk: () => (owner ? runBulk(t('bulk.transfer'), (id) => api.post(`/api/v1/customers/${id}/assign`, { owner_id: owner })) : undefined),
    });
  };

  const bulkReturn = () => askReturn(t('bulk.returnTitle', { count: selected.length }), (send) => runBulk(t('bulk.return'), send));

  const bulkTag = () => {
    let tag = '';
    modal.confirm({
      title: t('bulk.tagTitle', { count: selected.length }),
      content: <Input aria-label={t('customer.tags')} placeholder={t('customer.tags')} onChange={(e) => (tag = e.target.value.trim())} />,
      onOk: () => {
        if (!tag) return;
        const byId = new Map((list.data?.items ?? []).map((c) => [c.id, c]));
        return runBulk(t('bulk.tag'), (id) => {
          const tags = byId.get(id)?.tags ?? [];
          return api.patch(`/api/v1/customers/${id}`, { tags: tags.includes(tag) ? tags : [...tags, tag] });
        });
      },
    });
  };

  const saveView = () => {
    let name = '';
    modal.confirm({
      title: t('views.save'),
      content: <Input aria-label={t('views.name')} placeholder={t('views.name')} onChange={(e) => (name = e.target.value)} />,
      onOk: async () => {
        const kept: Record<string, string> = {};
        for (const [k, v] of params) if ((filterKeys as readonly string[]).includes(k) || k.startsWith('cf.')) kept[k] = v;
        try {
          await api.post('/api/v1/saved-views', { entity: 'customers', name, filters: kept });
          views.reload();
          message.success(t('views.saved'));
        } catch (e) {
          message.error(err(e));
          throw e;
        }
      },
    });
  };

  const exportHref = (format: 'csv' | 'xlsx') => `/api/v1/exports/customers${buildQuery({ ...filters, format })}`;

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.customers')}</h1>
        <Dropdown
          menu={{
            items: [
              ...customerViews.map((v) => ({ key: String(v.id), label: v.name })),
              ...(customerViews.length ? [{ type: 'divider' as const }] : []),
              { key: 'save', label: t('views.save') },
            ],
            onClick: ({ key }) => {
              if (key === 'save') return saveView();
              const v = customerViews.find((x) => String(x.id) === key);
              if (v) {
                setParams(new URLSearchParams(v.filters), { replace: true });
                paging.reset();
              }
            },
          }}
        >
          <Button icon={<StarOutlined />}>{t('views.title')}</Button>
        </Dropdown>
        {isAdmin(me.role) && (
          <Dropdown
            menu={{
              items: [
                { key: 'csv', label: <a href={exportHref('csv')} download>CSV</a> },
                { key: 'xlsx', label: <a href={exportHref('xlsx')} download>Excel (XLSX)</a> },
              ],
            }}
          >
            <Button icon={<DownloadOutlined />}>{t('common.export')}</Button>
          </Dropdown>
        )}
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('customer.new')}
        </Button>
      </div>

      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          defaultValue={params.get('q') ?? ''}
          placeholder={t('customer.searchPlaceholder')}
          aria-label={t('customer.searchPlaceholder')}
          onSearch={(v) => setFilter('q', v.trim() || undefined)}
          style={{ width: 240 }}
        />
        <Select
          allowClear
          style={{ width: 140 }}
          placeholder={t('customer.owner')}
          aria-label={t('customer.owner')}
          value={params.get('owner_id') || undefined}
          onChange={(v?: string) => setFilter('owner_id', v)}
          options={[
            { value: 'me', label: t('customer.mine') },
            ...(users.data?.items ?? []).map((u) => ({ value: String(u.id), label: u.name })),
          ]}
        />
        {(['level', 'status', 'source', 'industry'] as const).map((k) => (
          <Select
            key={k}
            allowClear
            style={{ width: 120 }}
            placeholder={t(`customer.${k}` as MessageKey)}
            aria-label={t(`customer.${k}` as MessageKey)}
            value={params.get(k) || undefined}
            onChange={(v?: string) => setFilter(k, v)}
            options={options(settings.data?.[`${k === 'level' ? 'levels' : k === 'status' ? 'statuses' : k === 'source' ? 'sources' : 'industries'}`])}
          />
        ))}
        {selectFields.map((f) => (
          <Select
            key={f.key}
            allowClear
            style={{ width: 140 }}
            placeholder={f.label}
            aria-label={f.label}
            value={params.get(`cf.${f.key}`) || undefined}
            onChange={(v?: string) => setFilter(`cf.${f.key}`, v)}
            options={f.options.map((o) => ({ value: o, label: o }))}
          />
        ))}
        <Select
          style={{ width: 170 }}
          aria-label={t('common.sort')}
          value={params.get('sort') || '-updated_at'}
          onChange={(v: string) => setFilter('sort', v === '-updated_at' ? undefined : v)}
          options={[
            { value: '-updated_at', label: t('sort.updated') },
            { value: '-created_at', label: t('sort.created') },
            { value: 'name', label: t('sort.name') },
            { value: 'next_follow_up_at', label: t('sort.nextFollowUp') },
            { value: '-last_follow_up_at', label: t('sort.lastFollowUp') },
          ]}
        />
        <Popover
          trigger="click"
          title={t('columns.title')}
          content={
            <Checkbox.Group
              style={{ display: 'flex', flexDirection: 'column', gap: 4 }}
              value={columns}
              onChange={(v) => saveColumns(allColumns.filter((c) => v.includes(c)))}
              options={allColumns.map((c) => ({ value: c, label: t(`column.${c}` as MessageKey) }))}
            />
          }
        >
          <Button icon={<SettingOutlined />} aria-label={t('columns.title')} />
        </Popover>
      </Space>

      {selected.length > 0 && (
        <Space wrap style={{ marginBottom: 12 }} aria-live="polite">
          <span>{t('bulk.selected', { count: selected.length })}</span>
          {isManagerial(me.role) && <Button onClick={bulkTransfer}>{t('bulk.transfer')}</Button>}
          <Button onClick={bulkReturn}>{t('bulk.return')}</Button>
          <Button onClick={bulkTag}>{t('bulk.tag')}</Button>
          <Button type="link" onClick={() => setSelected([])}>{t('common.clear')}</Button>
        </Space>
      )}

      <ErrorAlert error={list.error} onRetry={list.reload} />
      <Table<Customer>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        columns={columnDefs}
        scroll={{ x: 'max-content' }}
        pagination={false}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as number[]) }}
        locale={{ emptyText: t('customer.empty') }}
        onRow={(c) => ({ onDoubleClick: () => navigate(`/customers/${c.id}`) })}
      />
      <CursorPager paging={paging} nextCursor={list.data?.next_cursor} total={list.data?.total} />

      <CustomerForm
        open={creating}
        onClose={() => setCreating(false)}
        onSaved={(c) => {
          setCreating(false);
          message.success(t('customer.created'));
          navigate(`/customers/${c.id}`);
        }}
      />
    </>
  );
}
