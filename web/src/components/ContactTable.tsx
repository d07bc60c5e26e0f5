// Contacts as a table: name (primary marked), title, mobile, email, WeChat; and, where the
// contacts come from many customers, a link to each one's customer.
import { Link } from 'react-router';
import { Button, Popconfirm, Table, Tag } from 'antd';
import { useI18n } from '../i18n';
import type { Contact } from '../types';

export function ContactTable({ contacts, loading, withCustomer = false, onEdit, onDelete }: {
  contacts: Contact[];
  loading?: boolean;
  withCustomer?: boolean;
  onEdit?: (c: Contact) => void;
  onDelete?: (c: Contact) => void;
}) {
  const { t } = useI18n();
  return (
    <Table<Contact>
      rowKey="id"
      size="small"
      pagination={false}
      loading={loading}
      scroll={{ x: 'max-content' }}
      dataSource={contacts}
      locale={{ emptyText: t('contact.empty') }}
      columns={[
        { title: t('contact.name'), render: (_, c) => <>{c.name} {c.is_primary && <Tag color="blue">{t('contact.primary')}</Tag>}</> },
        { title: t('contact.title'), dataIndex: 'title' },
        { title: t('contact.mobile'), dataIndex: 'mobile' },
        { title: t('contact.email'), dataIndex: 'email' },
        { title: t('contact.wechat'), dataIndex: 'wechat' },
        ...(withCustomer
          ? [{ title: t('opportunity.customer'), render: (_: unknown, c: Contact) => <Link to={`/customers/${c.customer_id}`}>{t('task.openCustomer')}</Link> }]
          : []),
        ...(onDelete
          ? [{
              title: '',
              render: (_: unknown, c: Contact) => (
                <>
                  {onEdit && <Button size="small" type="link" onClick={() => onEdit(c)}>{t('common.edit')}</Button>}
                  <Popconfirm title={t('contact.deleteConfirm', { name: c.name })} onConfirm={() => onDelete(c)}>
                    <Button size="small" type="link" danger>{t('common.delete')}</Button>
                  </Popconfirm>
                </>
              ),
            }]
          : []),
      ]}
    />
  );
}
