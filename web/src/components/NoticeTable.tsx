// The notice register as a table: each formal notice, how it went, when it was sent and when
// the contract deems it delivered.
import { Table, Tag } from 'antd';
import { dateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';

export interface Notice {
  id: number;
  kind: string;
  channel: string;
  recipient: string;
  subject: string;
  sent_at: string;
  deemed_delivered_at: string;
  evidence: string;
}

export function NoticeTable({ notices, withEvidence = false }: { notices: Notice[]; withEvidence?: boolean }) {
  const { t } = useI18n();
  return (
    <Table<Notice>
      rowKey="id"
      size="small"
      pagination={false}
      scroll={{ x: 'max-content' }}
      dataSource={notices}
      locale={{ emptyText: t('billing.noNotices') }}
      columns={[
        { title: t('billing.noticeSubject'), render: (_, n) => n.subject || n.kind },
        { title: t('billing.channel'), render: (_, n) => <Tag>{t(`channel.${n.channel}` as MessageKey)}</Tag> },
        { title: t('op.recipient'), dataIndex: 'recipient' },
        { title: t('billing.sentAt'), render: (_, n) => dateTime(n.sent_at) },
        { title: t('billing.deemedAt'), render: (_, n) => dateTime(n.deemed_delivered_at) },
        ...(withEvidence ? [{ title: t('op.evidence'), dataIndex: 'evidence' }] : []),
      ]}
    />
  );
}
