// Contacts of the customers the caller sees, searchable by name or phone.
import { useState } from 'react';
import { Input } from 'antd';
import type { ListPage } from '../api';
import { CursorPager } from '../components/CursorPager';
import { ContactTable } from '../components/ContactTable';
import { ErrorAlert } from '../components/ErrorAlert';
import { useApi, useCursor } from '../hooks';
import { useI18n } from '../i18n';
import type { Contact } from '../types';

export default function Contacts() {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const paging = useCursor();
  const list = useApi<ListPage<Contact>>('/api/v1/contacts', { q: q || undefined, limit: 25, cursor: paging.cursor });
  return (
    <>
      <div className="page-title">
        <h1>{t('nav.contacts')}</h1>
        <Input.Search
          allowClear
          style={{ width: 260 }}
          placeholder={t('contact.searchPlaceholder')}
          aria-label={t('contact.searchPlaceholder')}
          onSearch={(v) => {
            setQ(v.trim());
            paging.reset();
          }}
        />
      </div>
      <ErrorAlert error={list.error} onRetry={list.reload} />
      <ContactTable contacts={list.data?.items ?? []} loading={list.loading} withCustomer />
      <CursorPager paging={paging} nextCursor={list.data?.next_cursor} />
    </>
  );
}
