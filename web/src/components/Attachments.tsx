// A record's files: upload with a progress bar (scanned for malware by the server), the
// storage quota used and left, download, and delete (confirmed; space is freed at once).
import { useState } from 'react';
import { App, Button, Input, Modal, Popconfirm, Progress, Space, Table, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { api, newIdempotencyKey, upload, type ListPage } from '../api';
import { dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorAlert } from './ErrorAlert';

interface Attachment {
  id: number;
  filename: string;
  size_bytes: number;
  mime: string;
  created_at: string;
}

interface Usage {
  used_bytes: number;
  quota_bytes: number;
  left_bytes: number;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

export function Attachments({ entity, entityId, onChanged }: { entity: string; entityId: number; onChanged?: () => void }) {
  const { t, err } = useI18n();
  const { message } = App.useApp();
  const files = useApi<ListPage<Attachment>>('/api/v1/attachments', { entity, entity_id: entityId });
  const usage = useApi<Usage>('/api/v1/attachments/usage');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>();
  const [faxing, setFaxing] = useState<Attachment | null>(null);
  const [faxNumber, setFaxNumber] = useState('');
  const [faxBusy, setFaxBusy] = useState(false);

  const fax = async () => {
    if (!faxing) return;
    setFaxBusy(true);
    try {
      const r = await api.post<{ pages: number; points: number }>('/api/v1/faxes', { attachment_id: faxing.id, number: faxNumber.trim() }, newIdempotencyKey());
      message.success(t('fax.queued', { pages: r.pages, points: r.points }));
      setFaxing(null);
      setFaxNumber('');
    } catch (e) {
      message.error(err(e));
    } finally {
      setFaxBusy(false);
    }
  };

  const refresh = () => {
    files.reload();
    usage.reload();
    onChanged?.();
  };

  const send = async (file: File) => {
    setError(undefined);
    setProgress(0);
    try {
      await upload('/api/v1/attachments', file, { entity, entity_id: entityId, filename: file.name }, setProgress);
      message.success(t('attachment.uploaded', { name: file.name }));
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };

  const u = usage.data;
  const percent = u && u.quota_bytes ? Math.min(100, Math.round((u.used_bytes / u.quota_bytes) * 100)) : 0;

  return (
    <>
      {u && (
        <div style={{ maxWidth: 420, marginBottom: 16 }} data-testid="quota">
          <Typography.Text>
            {t('attachment.quota', { used: bytes(u.used_bytes), quota: bytes(u.quota_bytes), left: bytes(u.left_bytes) })}
          </Typography.Text>
          <Progress percent={percent} status={percent >= 95 ? 'exception' : 'normal'} aria-label={t('attachment.quotaLabel')} />
        </div>
      )}
      <ErrorAlert error={error} />
      <Space style={{ marginBottom: 12 }}>
        <Upload
          showUploadList={false}
          beforeUpload={(file) => {
            void send(file);
            return false;
          }}
        >
          <Button icon={<UploadOutlined />} loading={progress !== null}>
            {t('attachment.upload')}
          </Button>
        </Upload>
        {progress !== null && <Progress percent={progress} size="small" style={{ width: 200 }} aria-label={t('attachment.progress')} />}
      </Space>
      <Modal open={faxing !== null} title={t('fax.title', { name: faxing?.filename ?? '' })} onCancel={() => setFaxing(null)}
        onOk={fax} okText={t('fax.send')} confirmLoading={faxBusy} okButtonProps={{ disabled: !faxNumber.trim() }} destroyOnHidden>
        <p>{t('fax.explain')}</p>
        <Input value={faxNumber} onChange={(e) => setFaxNumber(e.target.value)} placeholder={t('fax.number')} aria-label={t('fax.number')} />
      </Modal>
      <ErrorAlert error={files.error} onRetry={files.reload} />
      <Table<Attachment>
        rowKey="id"
        size="small"
        pagination={false}
        loading={files.loading}
        dataSource={files.data?.items ?? []}
        locale={{ emptyText: t('attachment.empty') }}
        columns={[
          {
            title: t('attachment.name'),
            render: (_, a) => (
              <a href={`/api/v1/attachments/${a.id}/download`} download>
                {a.filename}
              </a>
            ),
          },
          { title: t('attachment.size'), render: (_, a) => bytes(a.size_bytes) },
          { title: t('common.createdAt'), render: (_, a) => dateTime(a.created_at) },
          {
            title: '',
            render: (_, a) => (
              <Space>
              {a.mime === 'application/pdf' && (
                <Button type="link" onClick={() => setFaxing(a)}>{t('fax.send')}</Button>
              )}
              <Popconfirm
                title={t('attachment.deleteConfirm', { name: a.filename })}
                okButtonProps={{ danger: true }}
                onConfirm={async () => {
                  try {
                    await api.del(`/api/v1/attachments/${a.id}`);
                    refresh();
                  } catch (e) {
                    message.error(err(e));
                  }
                }}
              >
                <Button type="link" danger>
                  {t('common.delete')}
                </Button>
              </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}
