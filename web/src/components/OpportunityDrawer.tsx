// One opportunity: its figures and custom fields (all editable, its pipeline and stage too), and
// every stage and status change it went through.
import { useEffect, useState } from 'react';
import { Button, Descriptions, Drawer, Skeleton, Tag, Timeline } from 'antd';
import { Link } from 'react-router';
import { yuan, type ListPage } from '../api';
import { date, dateTime } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import type { Opportunity } from '../types';
import { CustomFieldValue, useCustomFields } from './CustomFields';
import { ErrorAlert } from './ErrorAlert';
import { OpportunityForm } from './OpportunityForm';

interface Change {
  id: number;
  at: string;
  from_stage: { id: number; name: string } | null;
  to_stage: { id: number; name: string } | null;
  from_status: string | null;
  to_status: string;
}

export function OpportunityDrawer({ opportunity, onClose, onSaved }: { opportunity: Opportunity | null; onClose: () => void; onSaved?: () => void }) {
  const { t, locale } = useI18n();
  const history = useApi<ListPage<Change>>(opportunity ? `/api/v1/opportunities/${opportunity.id}/history` : null);
  const fields = useCustomFields('opportunity');
  const [editing, setEditing] = useState(false);
  const o = opportunity;
  useEffect(() => setEditing(false), [o]);
  return (
    <Drawer open={o !== null} onClose={onClose} title={o?.name} size={480} destroyOnHidden
      extra={o && !editing ? <Button onClick={() => setEditing(true)}>{t('common.edit')}</Button> : undefined}>
      {o && editing && (
        <div style={{ marginBottom: 16 }}>
          <OpportunityForm opportunity={o} onCancel={() => setEditing(false)} onDone={() => { onSaved?.(); onClose(); }} />
        </div>
      )}
      {o && !editing && (
        <>
          <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('opportunity.customer')}><Link to={`/customers/${o.customer.id}`}>{o.customer.name}</Link></Descriptions.Item>
            <Descriptions.Item label={t('opportunity.amount')}>{yuan(o.amount_fen, locale)}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.weighted')}>{yuan(o.weighted_amount_fen, locale)}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.stage')}>{`${o.stage.name} (${o.stage.probability}%)`}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.status')}><Tag>{t(`opportunity.status.${o.status}`)}</Tag>{o.lost_reason}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.owner')}>{o.owner.name}</Descriptions.Item>
            <Descriptions.Item label={t('opportunity.expectedClose')}>{date(o.expected_close_date)}</Descriptions.Item>
            {fields.map((f) => (
              <Descriptions.Item key={f.key} label={f.label}><CustomFieldValue field={f} value={o.custom?.[f.key]} /></Descriptions.Item>
            ))}
          </Descriptions>
          <h3>{t('opportunity.history')}</h3>
          <ErrorAlert error={history.error} onRetry={history.reload} />
          {history.loading && !history.data ? (
            <Skeleton active />
          ) : (
            <Timeline
              items={(history.data?.items ?? []).map((h) => ({
                key: h.id,
                children: (
                  <>
                    <div>
                      {h.from_stage ? `${h.from_stage.name} → ` : ''}
                      {h.to_stage?.name}
                      {h.from_status !== h.to_status && <Tag style={{ marginInlineStart: 8 }}>{t(`opportunity.status.${h.to_status as 'open' | 'won' | 'lost'}`)}</Tag>}
                    </div>
                    <small style={{ color: '#666' }}>{dateTime(h.at)}</small>
                  </>
                ),
              }))}
            />
          )}
        </>
      )}
    </Drawer>
  );
}
