// Settings for the boss and admins: departments, roles and their data scope, the CRM's choice
// lists with the duplicate policy and the pool rules, custom fields, pipelines and stages, the
// SMS signature and templates. Each tab saves on its own; refusals are said in plain words.
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Radio,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
} from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { api, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction, useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import type { Pipeline } from '../types';

function Departments() {
  const { t } = useI18n();
  const act = useAction();
  const list = useApi<ListPage<{ id: number; name: string; parent_id: number | null }>>('/api/v1/departments');
  const [name, setName] = useState('');
  const [parent, setParent] = useState<number>();
  const items = list.data?.items ?? [];
  const nameOf = (id: number | null) => items.find((d) => d.id === id)?.name ?? '—';
  return (
    <>
      <ErrorAlert error={list.error} onRetry={list.reload} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={items}
        locale={{ emptyText: t('settings.noDepartments') }}
        columns={[
          { title: t('settings.department'), dataIndex: 'name' },
          { title: t('settings.parent'), render: (_, d) => nameOf(d.parent_id) },
          {
            title: '',
            render: (_, d) => (
              <Popconfirm title={t('settings.deleteDepartment', { name: d.name })} onConfirm={() => act(() => api.del(`/api/v1/departments/${d.id}`), list.reload)}>
                <Button size="small" type="link" danger>{t('common.delete')}</Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 12 }} wrap>
        <Input placeholder={t('settings.department')} aria-label={t('settings.department')} value={name} onChange={(e) => setName(e.target.value)} />
        <Select allowClear style={{ width: 160 }} placeholder={t('settings.parent')} aria-label={t('settings.parent')} value={parent} onChange={setParent}
          options={items.map((d) => ({ value: d.id, label: d.name }))} />
        <Button type="primary" icon={<PlusOutlined />} disabled={!name.trim()}
          onClick={() => act(() => api.post('/api/v1/departments', { name: name.trim(), parent_id: parent ?? null }), () => { setName(''); list.reload(); })}>
          {t('settings.addDepartment')}
        </Button>
      </Space>
    </>
  );
}

const scopes = ['self', 'department', 'department_and_below', 'all'] as const;

function Roles() {
  const { t } = useI18n();
  const act = useAction();
  const roles = useApi<ListPage<{ role: string; data_scope: string; configurable: boolean }>>('/api/v1/roles');
  return (
    <>
      <Alert type="info" showIcon title={t('settings.scopeExplain')} style={{ marginBottom: 12 }} />
      <Table
        rowKey="role"
        size="small"
        pagination={false}
        dataSource={roles.data?.items ?? []}
        columns={[
          { title: t('users.role'), render: (_, r) => t(`role.${r.role}` as MessageKey) },
          {
            title: t('settings.dataScope'),
            render: (_, r) => (
              <Select style={{ width: 200 }} value={r.data_scope} disabled={!r.configurable} aria-label={t('settings.scopeOf', { role: t(`role.${r.role}` as MessageKey) })}
                onChange={(data_scope) => act(() => api.put(`/api/v1/roles/${r.role}`, { data_scope }), roles.reload)}
                options={scopes.map((s) => ({ value: s, label: t(`scope.${s}`) }))} />
            ),
          },
        ]}
      />
    </>
  );
}

interface CrmSettingsFull {
  levels: string[];
  statuses: string[];
  sources: string[];
  industries: string[];
  duplicates: Record<'name' | 'phone' | 'email', 'warn' | 'block'>;
  pool: {
    max_customers_per_user: number;
    max_claims_per_day: number;
    cooldown_days: number;
    warn_days: number;
    return_after_days: Record<string, number>;
    no_won_opportunity_days: number;
  };
}

function CrmRules() {
  const { t } = useI18n();
  const act = useAction();
  const settings = useApi<CrmSettingsFull>('/api/v1/crm/settings');
  const [form] = Form.useForm<CrmSettingsFull>();
  useEffect(() => {
    if (settings.data) form.setFieldsValue(settings.data);
  }, [settings.data, form]);
  const levels: string[] = Form.useWatch('levels', form) ?? settings.data?.levels ?? [];
  const save = (v: CrmSettingsFull) => act(() => api.put('/api/v1/crm/settings', v), settings.reload);
  const list = (name: keyof CrmSettingsFull, label: MessageKey) => (
    <Form.Item name={name} label={t(label)}>
      <Select mode="tags" open={false} tokenSeparators={[',', '，']} aria-label={t(label)} />
    </Form.Item>
  );
  return (
    <Form form={form} layout="vertical" onFinish={save} style={{ maxWidth: 720 }}>
      <Card title={t('settings.choiceLists')} size="small" style={{ marginBottom: 16 }}>
        {list('levels', 'customer.level')}
        {list('statuses', 'customer.status')}
        {list('sources', 'customer.source')}
        {list('industries', 'customer.industry')}
      </Card>
      <Card title={t('settings.duplicates')} size="small" style={{ marginBottom: 16 }}>
        {(['name', 'phone', 'email'] as const).map((f) => (
          <Form.Item key={f} name={['duplicates', f]} label={t(`dup.field.${f}`)}>
            <Radio.Group options={[{ value: 'warn', label: t('settings.warn') }, { value: 'block', label: t('settings.block') }]} />
          </Form.Item>
        ))}
      </Card>
      <Card title={t('settings.poolRules')} size="small" style={{ marginBottom: 16 }}>
        <Space wrap>
          <Form.Item name={['pool', 'max_customers_per_user']} label={t('settings.maxHeld')}><InputNumber min={1} /></Form.Item>
          <Form.Item name={['pool', 'max_claims_per_day']} label={t('settings.maxClaims')}><InputNumber min={0} /></Form.Item>
          <Form.Item name={['pool', 'cooldown_days']} label={t('settings.cooldown')}><InputNumber min={0} /></Form.Item>
          <Form.Item name={['pool', 'warn_days']} label={t('settings.warnDays')}><InputNumber min={0} /></Form.Item>
          <Form.Item name={['pool', 'no_won_opportunity_days']} label={t('settings.noWonDays')} extra={t('settings.zeroOff')}><InputNumber min={0} /></Form.Item>
        </Space>
        <div style={{ marginBottom: 8 }}>{t('settings.returnAfter')}</div>
        <Space wrap>
          <Form.Item name={['pool', 'return_after_days', '']} label={t('settings.noLevel')}><InputNumber min={0} /></Form.Item>
          {levels.map((l) => (
            <Form.Item key={l} name={['pool', 'return_after_days', l]} label={t('settings.levelN', { level: l })}><InputNumber min={0} /></Form.Item>
          ))}
        </Space>
      </Card>
      <Button type="primary" htmlType="submit">{t('common.save')}</Button>
    </Form>
  );
}

const fieldTypes = ['text', 'number', 'money', 'date', 'select', 'multi_select'] as const;

function CustomFields() {
  const { t } = useI18n();
  const act = useAction();
  const fields = useApi<ListPage<{ id: number; entity: string; key: string; label: string; type: string; options: string[]; required: boolean }>>('/api/v1/custom-fields');
  const [form] = Form.useForm();
  const type = Form.useWatch('type', form);
  return (
    <>
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={fields.data?.items ?? []}
        locale={{ emptyText: t('settings.noFields') }}
        columns={[
          { title: t('settings.fieldEntity'), render: (_, f) => t(`bin.type.${f.entity}` as MessageKey) },
          { title: t('settings.fieldLabel'), dataIndex: 'label' },
          { title: t('settings.fieldKey'), dataIndex: 'key' },
          { title: t('settings.fieldType'), render: (_, f) => <Tag>{t(`fieldType.${f.type}` as MessageKey)}</Tag> },
          { title: t('settings.fieldOptions'), render: (_, f) => f.options?.join('、') },
          { title: t('settings.fieldRequired'), render: (_, f) => (f.required ? t('billing.yes') : t('billing.no')) },
          {
            title: '',
            render: (_, f) => (
              <Popconfirm title={t('settings.deleteField', { name: f.label })} okButtonProps={{ danger: true }}
                onConfirm={() => act(() => api.del(`/api/v1/custom-fields/${f.id}`), fields.reload)}>
                <Button size="small" type="link" danger>{t('common.delete')}</Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Card size="small" title={t('settings.addField')} style={{ marginTop: 16, maxWidth: 720 }}>
        <Form form={form} layout="vertical" initialValues={{ entity: 'customer', type: 'text', required: false }}
          onFinish={(v) => act(() => api.post('/api/v1/custom-fields', v), () => { form.resetFields(); fields.reload(); })}>
          <Space wrap align="start">
            <Form.Item name="entity" label={t('settings.fieldEntity')}>
              <Select style={{ width: 120 }} options={['customer', 'contact', 'opportunity'].map((e) => ({ value: e, label: t(`bin.type.${e}` as MessageKey) }))} />
            </Form.Item>
            <Form.Item name="label" label={t('settings.fieldLabel')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
            <Form.Item name="key" label={t('settings.fieldKey')} rules={[{ required: true, message: t('form.required') }]} extra={t('settings.keyHint')}><Input /></Form.Item>
            <Form.Item name="type" label={t('settings.fieldType')}>
              <Select style={{ width: 120 }} options={fieldTypes.map((ft) => ({ value: ft, label: t(`fieldType.${ft}`) }))} />
            </Form.Item>
            <Form.Item name="required" label={t('settings.fieldRequired')} valuePropName="checked"><Switch /></Form.Item>
          </Space>
          {(type === 'select' || type === 'multi_select') && (
            <Form.Item name="options" label={t('settings.fieldOptions')} rules={[{ required: true, message: t('form.required') }]}>
              <Select mode="tags" open={false} tokenSeparators={[',', '，']} />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" icon={<PlusOutlined />}>{t('settings.addField')}</Button>
        </Form>
      </Card>
    </>
  );
}

function Pipelines() {
  const { t } = useI18n();
  const act = useAction();
  const pipelines = useApi<ListPage<Pipeline>>('/api/v1/pipelines');
  const [editing, setEditing] = useState<{ id?: number; name: string; stages: Array<{ id?: number; name: string; probability: number }> } | null>(null);
  const save = () =>
    editing &&
    act(
      () => (editing.id ? api.put(`/api/v1/pipelines/${editing.id}`, { name: editing.name, stages: editing.stages }) : api.post('/api/v1/pipelines', editing)),
      () => {
        setEditing(null);
        pipelines.reload();
      },
    );
  const setStage = (i: number, patch: Partial<{ name: string; probability: number }>) =>
    setEditing((e) => (e ? { ...e, stages: e.stages.map((s, j) => (j === i ? { ...s, ...patch } : s)) } : e));
  return (
    <>
      <Space direction="vertical" style={{ width: '100%' }}>
        {(pipelines.data?.items ?? []).map((p) => (
          <Card key={p.id} size="small" title={p.name}
            extra={<Button size="small" onClick={() => setEditing({ id: p.id, name: p.name, stages: p.stages.map((s) => ({ id: s.id, name: s.name, probability: s.probability })) })}>{t('common.edit')}</Button>}>
            <Space wrap>{p.stages.map((s) => <Tag key={s.id}>{s.name} {s.probability}%</Tag>)}</Space>
          </Card>
        ))}
      </Space>
      {!editing && (
        <Button style={{ marginTop: 12 }} icon={<PlusOutlined />} onClick={() => setEditing({ name: '', stages: [{ name: '', probability: 10 }] })}>
          {t('settings.addPipeline')}
        </Button>
      )}
      {editing && (
        <Card size="small" style={{ marginTop: 16, maxWidth: 640 }} title={editing.id ? t('settings.editPipeline') : t('settings.addPipeline')}>
          <Input style={{ marginBottom: 12 }} value={editing.name} placeholder={t('settings.pipelineName')} aria-label={t('settings.pipelineName')}
            onChange={(e) => setEditing({ ...editing, name: e.target.value })} />
          {editing.stages.map((s, i) => (
            <Space key={i} style={{ display: 'flex', marginBottom: 8 }}>
              <Input value={s.name} placeholder={t('settings.stageName')} aria-label={t('settings.stageN', { n: i + 1 })} onChange={(e) => setStage(i, { name: e.target.value })} />
              <InputNumber min={0} max={100} value={s.probability} suffix="%" aria-label={t('settings.probabilityN', { n: i + 1 })} onChange={(v) => setStage(i, { probability: v ?? 0 })} />
              <Button icon={<DeleteOutlined />} aria-label={t('common.delete')} disabled={editing.stages.length === 1}
                onClick={() => setEditing({ ...editing, stages: editing.stages.filter((_, j) => j !== i) })} />
            </Space>
          ))}
          <Space>
            <Button onClick={() => setEditing({ ...editing, stages: [...editing.stages, { name: '', probability: 50 }] })}>{t('settings.addStage')}</Button>
            <Button onClick={() => setEditing(null)}>{t('common.cancel')}</Button>
            <Button type="primary" onClick={save}>{t('common.save')}</Button>
          </Space>
        </Card>
      )}
    </>
  );
}

function Sms() {
  const { t } = useI18n();
  const act = useAction();
  const signature = useApi<{ signature: string | null; status: string; reason?: string }>('/api/v1/sms/signature');
  const templates = useApi<ListPage<{ id: number; name: string; type: string; body: string }>>('/api/v1/sms/templates');
  const [sig, setSig] = useState('');
  const [form] = Form.useForm();
  return (
    <Space direction="vertical" style={{ width: '100%', maxWidth: 720 }} size="large">
      <Card size="small" title={t('settings.signature')}>
        <p>
          {signature.data?.signature ? <Tag color="blue">【{signature.data.signature}】</Tag> : null}
          <Tag>{t(`signature.${signature.data?.status ?? 'none'}` as MessageKey)}</Tag>
          {signature.data?.reason && <span style={{ color: '#cf1322' }}>{signature.data.reason}</span>}
        </p>
        <Space>
          <Input value={sig} onChange={(e) => setSig(e.target.value)} maxLength={20} placeholder={t('settings.signatureHint')} aria-label={t('settings.signature')} />
          <Button type="primary" disabled={!sig.trim()} onClick={() => act(() => api.put('/api/v1/sms/signature', { signature: sig.trim() }), () => { setSig(''); signature.reload(); })}>
            {t('settings.submitSignature')}
          </Button>
        </Space>
      </Card>
      <Card size="small" title={t('settings.templates')}>
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={templates.data?.items ?? []}
          locale={{ emptyText: t('settings.noTemplates') }}
          columns={[
            { title: t('settings.templateName'), dataIndex: 'name' },
            { title: t('billing.kind'), render: (_, x) => t(`sms.type.${x.type}` as MessageKey) },
            { title: t('sms.text'), dataIndex: 'body' },
            {
              title: '',
              render: (_, x) => (
                <Popconfirm title={t('settings.deleteTemplate', { name: x.name })} onConfirm={() => act(() => api.del(`/api/v1/sms/templates/${x.id}`), templates.reload)}>
                  <Button size="small" type="link" danger>{t('common.delete')}</Button>
                </Popconfirm>
              ),
            },
          ]}
        />
        <Form form={form} layout="vertical" style={{ marginTop: 12 }} initialValues={{ type: 'notification' }}
          onFinish={(v) => act(() => api.post('/api/v1/sms/templates', v), () => { form.resetFields(); templates.reload(); })}>
          <Space wrap align="start">
            <Form.Item name="name" label={t('settings.templateName')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
            <Form.Item name="type" label={t('billing.kind')}>
              <Select style={{ width: 200 }} options={[{ value: 'notification', label: t('sms.type.notification') }, { value: 'marketing', label: t('sms.type.marketing') }]} />
            </Form.Item>
          </Space>
          <Form.Item name="body" label={t('sms.text')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea rows={3} maxLength={500} showCount /></Form.Item>
          <Button type="primary" htmlType="submit" icon={<PlusOutlined />}>{t('settings.addTemplate')}</Button>
        </Form>
      </Card>
    </Space>
  );
}

export default function Settings() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  return (
    <>
      <div className="page-title">
        <h1>{t('nav.settings')}</h1>
      </div>
      <Tabs
        activeKey={params.get('tab') || 'departments'}
        onChange={(k) => setParams({ tab: k }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'departments', label: t('settings.tab.departments'), children: <Departments /> },
          { key: 'roles', label: t('settings.tab.roles'), children: <Roles /> },
          { key: 'crm', label: t('settings.tab.crm'), children: <CrmRules /> },
          { key: 'fields', label: t('settings.tab.fields'), children: <CustomFields /> },
          { key: 'pipelines', label: t('settings.tab.pipelines'), children: <Pipelines /> },
          { key: 'sms', label: t('settings.tab.sms'), children: <Sms /> },
        ]}
      />
    </>
  );
}
