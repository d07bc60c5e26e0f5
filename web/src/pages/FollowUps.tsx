// Follow-ups on the customers the caller sees, newest first, by type; deleted ones go to the
// recycle bin.
import { useState } from 'react';
import { Link } from 'react-router';
import { Button, Popconfirm, Select, Table, Tag } from 'antd';
import { api, type ListPage } from '../api';
import { CursorPager } from '../components/CursorPager';
import { ErrorAlert } from '../components/ErrorAlert';
import { dateTime } from '../format';
import { useAction, useApi, useCursor } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import type { FollowUp } from '../types';

const types = ['call', 'visit', 'wechat', 'email', 'sms', 'other'];

export default function FollowUps() {
  const { t } = useI18n();
  const [type, setType] = useState<string>();
  const paging = useCursor();
  const act = useAction();
  const list = useApi<ListPage<FollowUp>>('/api/v1/follow-ups', { type, limit: 25, cursor: paging.cursor });
  return (
    <>
      <div className="page-title">
        <h1>{t('nav.followUps')}</h1>
        <Select
          allowClear
          style={{ width: 140 }}
          placeholder={t('followUp.type')}
          aria-label={t('followUp.type')}
          value={type}
          onChange={(v?: string) => {
            setType(v);
            paging.reset();
          }}
          options={types.map((v) => ({ value: v, label: t(`followUp.type.${v}` as MessageKey) }))}
        />
      </div>
      <ErrorAlert error={list.error} onRetry={list.reload} />
      <Table<FollowUp>
        rowKey="id"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('followUp.empty') }}
        columns={[
          { title: t('followUp.at'), render: (_, f) => dateTime(f.at) },
          { title: t('followUp.type'), render: (_, f) => <Tag>{t(`followUp.type.${f.type}` as MessageKey)}</Tag> },
          { title: t('followUp.content'), dataIndex: 'content' },
          { title: t('followUp.by'), render: (_, f) => f.created_by?.name },
          { title: t('followUp.nextAt'), render: (_, f) => dateTime(f.next_at) },
          { title: t('opportunity.customer'), render: (_, f) => <Link to={`/customers/${f.customer_id}`}>{t('task.openCustomer')}</Link> },
          {
            title: '',
            render: (_, f) => (
              <Popconfirm title={t('followUp.deleteConfirm')} onConfirm={() => act(() => api.del(`/api/v1/follow-ups/${f.id}`), list.reload, t('followUp.deleted'))}>
                <Button size="small" type="link" danger>{t('common.delete')}</Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <CursorPager paging={paging} nextCursor={list.data?.next_cursor} />
    </>
  );
}
