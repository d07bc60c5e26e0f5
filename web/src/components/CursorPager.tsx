// Previous / next for a cursor-paged list, with the page number and, when known, the total.
import { Button, Space } from 'antd';
import { useI18n } from '../i18n';
import type { useCursor } from '../hooks';

export function CursorPager({ paging, nextCursor, total }: { paging: ReturnType<typeof useCursor>; nextCursor: string | null | undefined; total?: number }) {
  const { t } = useI18n();
  return (
    <Space style={{ marginTop: 12, justifyContent: 'space-between', width: '100%' }} wrap>
      <span>{total !== undefined ? t('list.total', { total }) : null}</span>
      <Space>
        <Button disabled={!paging.canGoBack} onClick={paging.back}>{t('list.previous')}</Button>
        <span aria-live="polite">{t('list.page', { page: paging.page })}</span>
        <Button disabled={!nextCursor} onClick={() => paging.next(nextCursor)}>{t('list.next')}</Button>
      </Space>
    </Space>
  );
}
