// The import wizard: upload a CSV (UTF-8, with or without BOM, or GB18030) or XLSX → check the
// suggested column mapping → dry run with a report per row → commit (long files run as a job
// with a progress bar). Bad rows never block good ones: they come back as a downloadable
// error file. A committed import can be reverted. Below: the imports made before.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Popconfirm, Progress, Result, Segmented, Select, Space, Statistic, Steps, Table, Tag, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { api, upload, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';

type Entity = 'customers' | 'contacts' | 'follow_ups';

interface Report {
  total: number;
  valid: number;
  invalid: number;
  duplicates: number;
  errors: Array<{ line: number; code: string; error: string }>;
  error_file?: string;
}

interface ImportJob {
  id: number;
  entity: Entity;
  filename: string;
  encoding: string;
  status: string;
  total_rows?: number;
  headers?: string[];
  mapping: Record<string, string>;
  fields?: Array<{ key: string; label: string }>;
  sample?: string[][];
  progress?: { processed: number; total: number };
  report?: Report;
  created_at?: string;
}

const running = (s: string) => s === 'validating' || s === 'committing';

function ReportView({ report }: { report: Report }) {
  const { t } = useI18n();
  return (
    <>
      <Space size="large" wrap style={{ marginBottom: 16 }}>
        <Statistic title={t('import.total')} value={report.total} />
        <Statistic title={t('import.valid')} value={report.valid} styles={{ content: { color: '#389e0d' } }} />
        <Statistic title={t('import.invalid')} value={report.invalid} styles={{ content: { color: report.invalid ? '#cf1322' : undefined } }} />
        <Statistic title={t('import.duplicates')} value={report.duplicates} />
      </Space>
      {report.errors.length > 0 && (
        <>
          <Table
            rowKey="line"
            size="small"
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            dataSource={report.errors}
            columns={[
              { title: t('import.line'), dataIndex: 'line', width: 80 },
              { title: t('import.problem'), dataIndex: 'error' },
            ]}
          />
          {report.error_file && (
            <a href={report.error_file} download>
              {t('import.errorFile')}
            </a>
          )}
        </>
      )}
    </>
  );
}

export default function Imports() {
  const { t, err, locale } = useI18n();
  const { message } = App.useApp();
  const [entity, setEntity] = useState<Entity>('customers');
  const [job, setJob] = useState<ImportJob | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [fields, setFields] = useState<Array<{ key: string; label: string }>>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const history = useApi<ListPage<ImportJob>>('/api/v1/imports', { limit: 20 });

  const reloadHistory = history.reload;
  // A job running on the server: poll until it is done.
  useEffect(() => {
    if (!job || !running(job.status)) return;
    const timer = setInterval(async () => {
      try {
        const next = await api.get<ImportJob>(`/api/v1/imports/${job.id}`);
        setJob((j) => ({ ...j, ...next }));
        if (!running(next.status)) reloadHistory();
      } catch (e) {
        setError(e);
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [job, reloadHistory]);

  const start = async (file: File) => {
    setError(undefined);
    setProgress(0);
    try {
      const up = await upload<ImportJob>('/api/v1/imports', file, { entity, filename: file.name }, setProgress);
      setJob(up);
      setMapping(up.mapping);
      setFields(up.fields ?? []);
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };

  const run = async (step: 'dry-run' | 'commit') => {
    if (!job) return;
    setBusy(true);
    setError(undefined);
    try {
      const next = await api.post<ImportJob>(`/api/v1/imports/${job.id}/${step}`, { mapping });
      setJob((j) => ({ ...j, ...next }));
      if (step === 'commit' && !running(next.status)) history.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const revert = async (id: number) => {
    try {
      const r = await api.post<{ reverted: number }>(`/api/v1/imports/${id}/revert`);
      message.success(t('import.reverted', { count: r.reverted }));
      history.reload();
      if (job?.id === id) setJob((j) => (j ? { ...j, status: 'reverted' } : j));
    } catch (e) {
      message.error(err(e));
    }
  };

  const label = (f: { key: string; label: string }) => (locale === 'en' ? f.key.replace(/^cf\./, '').replace(/_/g, ' ') : f.label);
  const step = !job ? 0 : job.status === 'uploaded' ? 1 : job.status === 'validated' || job.status === 'validating' ? 2 : 3;
  const done = job && (job.status === 'committed' || job.status === 'reverted');

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.imports')}</h1>
        {job && (
          <Button onClick={() => setJob(null)}>{t('import.another')}</Button>
        )}
      </div>
      <Steps
        current={step}
        style={{ marginBottom: 24 }}
        items={[{ title: t('import.step.upload') }, { title: t('import.step.mapping') }, { title: t('import.step.check') }, { title: t('import.step.commit') }]}
      />
      <ErrorAlert error={error} />
      {!job && (
        <Card>
          <Space direction="vertical" style={{ width: '100%' }} size="large">
            <Segmented
              value={entity}
              onChange={(v) => setEntity(v as Entity)}
              options={(['customers', 'contacts', 'follow_ups'] as const).map((e) => ({ value: e, label: t(`import.entity.${e}`) }))}
            />
            <Upload.Dragger
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              showUploadList={false}
              beforeUpload={(file) => {
                void start(file);
                return false;
              }}
            >
              <p className="ant-upload-drag-icon"><InboxOutlined /></p>
              <p>{t('import.drop')}</p>
              <p style={{ color: '#666' }}>{t('import.formats')}</p>
            </Upload.Dragger>
            {progress !== null && <Progress percent={progress} aria-label={t('attachment.progress')} />}
          </Space>
        </Card>
      )}
      {job && (
        <Card
          title={
            <Space wrap>
              {job.filename}
              <Tag>{t(`import.entity.${job.entity}`)}</Tag>
              {job.encoding && <Tag color="blue">{job.encoding.toUpperCase()}</Tag>}
              {job.total_rows !== undefined && <span>{t('import.rows', { count: job.total_rows })}</span>}
            </Space>
          }
        >
          {job.status === 'uploaded' && job.headers && (
            <>
              <Alert type="info" showIcon title={t('import.mappingHelp')} style={{ marginBottom: 16 }} />
              <Table
                rowKey="header"
                size="small"
                pagination={false}
                scroll={{ x: 'max-content' }}
                dataSource={job.headers.map((h, i) => ({ header: h, samples: (job.sample ?? []).map((r) => r[i]).filter(Boolean).slice(0, 3) }))}
                columns={[
                  { title: t('import.column'), dataIndex: 'header' },
                  { title: t('import.sample'), render: (_, r) => <span style={{ color: '#666' }}>{r.samples.join(' / ')}</span> },
                  {
                    title: t('import.target'),
                    render: (_, r) => (
                      <Select
                        style={{ width: 200 }}
                        aria-label={t('import.targetOf', { column: r.header })}
                        value={mapping[r.header] ?? ''}
                        onChange={(v: string) => setMapping((m) => ({ ...m, [r.header]: v }))}
                        options={[{ value: '', label: t('import.ignore') }, ...fields.map((f) => ({ value: f.key, label: label(f) }))]}
                      />
                    ),
                  },
                ]}
              />
              <Button type="primary" style={{ marginTop: 16 }} loading={busy} onClick={() => run('dry-run')}>
                {t('import.dryRun')}
              </Button>
            </>
          )}
          {running(job.status) && (
            <Progress
              percent={job.progress?.total ? Math.round((job.progress.processed / job.progress.total) * 100) : 0}
              status="active"
              aria-label={t('import.progress')}
            />
          )}
          {job.status === 'validated' && job.report && (
            <>
              <ReportView report={job.report} />
              <Space style={{ marginTop: 16 }}>
                <Button onClick={() => setJob({ ...job, status: 'uploaded' })}>{t('import.backToMapping')}</Button>
                <Button type="primary" loading={busy} disabled={!job.report.valid} onClick={() => run('commit')}>
                  {t('import.commit', { count: job.report.valid })}
                </Button>
              </Space>
            </>
          )}
          {done && job.report && (
            <>
              <Result
                status={job.status === 'committed' ? 'success' : 'info'}
                title={job.status === 'committed' ? t('import.committed', { count: job.report.valid }) : t('import.wasReverted')}
              />
              <ReportView report={job.report} />
              {job.status === 'committed' && (
                <Popconfirm title={t('import.revertConfirm')} okButtonProps={{ danger: true }} onConfirm={() => revert(job.id)}>
                  <Button danger style={{ marginTop: 16 }}>{t('import.revert')}</Button>
                </Popconfirm>
              )}
            </>
          )}
          {job.status === 'failed' && <Alert type="error" showIcon title={t('import.failed')} />}
        </Card>
      )}
      <Card title={t('import.history')} style={{ marginTop: 16 }}>
        <Table<ImportJob>
          rowKey="id"
          size="small"
          loading={history.loading}
          dataSource={history.data?.items ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('import.none') }}
          columns={[
            { title: t('attachment.name'), dataIndex: 'filename' },
            { title: t('import.kind'), render: (_, j) => t(`import.entity.${j.entity}`) },
            { title: t('opportunity.status'), render: (_, j) => <Tag>{t(`import.status.${j.status}` as MessageKey)}</Tag> },
            { title: t('import.valid'), render: (_, j) => j.report?.valid ?? '—' },
            { title: t('import.invalid'), render: (_, j) => j.report?.invalid ?? '—' },
            { title: t('common.createdAt'), render: (_, j) => dateTime(j.created_at) },
            {
              title: '',
              render: (_, j) =>
                j.status === 'committed' ? (
                  <Popconfirm title={t('import.revertConfirm')} okButtonProps={{ danger: true }} onConfirm={() => revert(j.id)}>
                    <Button type="link" danger>{t('import.revert')}</Button>
                  </Popconfirm>
                ) : null,
            },
          ]}
        />
      </Card>
    </>
  );
}
