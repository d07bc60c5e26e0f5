// Opportunities per pipeline, as a kanban (drag a card, or focus its handle, pick it up with
// Space and carry it with the arrow keys, to change its stage; every change is kept in its
// history) or as a list; won and lost from the card's menu, a lost reason asked for.
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { App, Button, Card, Dropdown, Empty, Input, Segmented, Select, Skeleton, Table, Tag } from 'antd';
import { HolderOutlined, MoreOutlined } from '@ant-design/icons';
import {
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type DragEndEvent,
  type KeyboardCoordinateGetter,
} from '@dnd-kit/core';
import { api, yuan, type ListPage } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { OpportunityDrawer } from '../components/OpportunityDrawer';
import { date } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import type { Opportunity, Pipeline, Stage } from '../types';

// With the keyboard, the left and right arrows carry a picked-up card to the previous or next
// stage's column (the columns are side by side), whatever their width.
const columnByColumn: KeyboardCoordinateGetter = (event, { context: { active, collisionRect, droppableRects, droppableContainers } }) => {
  if (event.code !== 'ArrowRight' && event.code !== 'ArrowLeft') return undefined;
  event.preventDefault();
  if (!active || !collisionRect) return undefined;
  const columns = droppableContainers
    .getEnabled()
    .map((c) => droppableRects.get(c.id))
    .filter((r) => r !== undefined)
    .sort((a, b) => a.left - b.left);
  const centre = collisionRect.left + collisionRect.width / 2;
  const target = event.code === 'ArrowRight' ? columns.find((r) => r.left > centre) : [...columns].reverse().find((r) => r.right < centre);
  if (!target) return undefined;
  return { x: target.left + (target.width - collisionRect.width) / 2, y: collisionRect.top };
};

// The whole card can be dragged with the pointer; for the keyboard (and screen readers) its
// handle is the one control that picks it up, so the card's other buttons and links stay
// separate controls rather than controls nested inside another.
function OpportunityCard({ o, onStatus, onOpen }: { o: Opportunity; onStatus: (o: Opportunity, s: 'won' | 'lost') => void; onOpen: (o: Opportunity) => void }) {
  const { t, locale } = useI18n();
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, isDragging } = useDraggable({ id: o.id });
  const style = transform ? { transform: `translate(${transform.x}px, ${transform.y}px)`, zIndex: 10 } : undefined;
  return (
    <div ref={setNodeRef} style={style} {...listeners} className="kanban-card" data-testid={`opp-${o.id}`}>
      <Card size="small" style={{ opacity: isDragging ? 0.7 : 1 }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', gap: 4 }}>
          <Button type="text" size="small" icon={<HolderOutlined />} ref={setActivatorNodeRef} {...attributes}
            aria-roledescription={t('kanban.draggable')} aria-label={t('kanban.handle', { name: o.name, stage: o.stage.name })} />
          <Button type="link" size="small" style={{ padding: 0, fontWeight: 600, whiteSpace: 'normal', textAlign: 'start', height: 'auto', flex: 1 }}
            onPointerDown={(e) => e.stopPropagation()} onClick={() => onOpen(o)}>
            {o.name}
          </Button>
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'won', label: t('opportunity.markWon') },
                { key: 'lost', label: t('opportunity.markLost') },
              ],
              onClick: ({ key, domEvent }) => {
                domEvent.stopPropagation();
                onStatus(o, key as 'won' | 'lost');
              },
            }}
          >
            <Button size="small" type="text" icon={<MoreOutlined />} aria-label={t('common.more')} onPointerDown={(e) => e.stopPropagation()} />
          </Dropdown>
        </div>
        <div>
          <Link to={`/customers/${o.customer.id}`} onPointerDown={(e) => e.stopPropagation()}>
            {o.customer.name}
          </Link>
        </div>
        <div>{yuan(o.amount_fen, locale)}</div>
        <small style={{ color: '#595959' }}>
          {o.owner.name} · {date(o.expected_close_date)}
        </small>
      </Card>
    </div>
  );
}

function Column({ stage, items, onStatus, onOpen }: { stage: Stage; items: Opportunity[]; onStatus: (o: Opportunity, s: 'won' | 'lost') => void; onOpen: (o: Opportunity) => void }) {
  const { locale } = useI18n();
  const { setNodeRef, isOver } = useDroppable({ id: `stage-${stage.id}` });
  const total = items.reduce((n, o) => n + o.amount_fen, 0);
  return (
    <section ref={setNodeRef} className={`kanban-column${isOver ? ' over' : ''}`} aria-label={stage.name} data-testid={`stage-${stage.id}`}>
      <h2>
        <span>
          {stage.name} <Tag>{stage.probability}%</Tag>
        </span>
        <span>{items.length}</span>
      </h2>
      <div style={{ fontSize: 12, color: '#666', margin: '0 4px 8px' }}>{yuan(total, locale)}</div>
      {items.map((o) => (
        <OpportunityCard key={o.id} o={o} onStatus={onStatus} onOpen={onOpen} />
      ))}
    </section>
  );
}

export default function Opportunities() {
  const { t, err, locale } = useI18n();
  const { message, modal } = App.useApp();
  const pipelines = useApi<ListPage<Pipeline>>('/api/v1/pipelines');
  const [pipelineId, setPipelineId] = useState<number>();
  const [view, setView] = useState<'kanban' | 'list'>('kanban');
  const [status, setStatus] = useState<'open' | 'won' | 'lost'>('open');
  useEffect(() => {
    if (!pipelineId && pipelines.data?.items[0]) setPipelineId(pipelines.data.items[0].id);
  }, [pipelines.data, pipelineId]);
  const opps = useApi<ListPage<Opportunity>>(pipelineId ? '/api/v1/opportunities' : null, {
    pipeline_id: pipelineId,
    status: view === 'kanban' ? 'open' : status,
    limit: 200,
  });
  const [items, setItems] = useState<Opportunity[]>([]);
  const [opened, setOpened] = useState<Opportunity | null>(null);
  useEffect(() => setItems(opps.data?.items ?? []), [opps.data]);
  const pipeline = pipelines.data?.items.find((p) => p.id === pipelineId);
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor, { coordinateGetter: columnByColumn }));

  const byStage = useMemo(() => {
    const m = new Map<number, Opportunity[]>();
    for (const o of items) m.set(o.stage.id, [...(m.get(o.stage.id) ?? []), o]);
    return m;
  }, [items]);

  const onDragEnd = async ({ active, over }: DragEndEvent) => {
    if (!over || !pipeline) return;
    const stageId = Number(String(over.id).replace('stage-', ''));
    const o = items.find((x) => x.id === active.id);
    const stage = pipeline.stages.find((s) => s.id === stageId);
    if (!o || !stage || o.stage.id === stageId) return;
    const before = items;
    setItems(items.map((x) => (x.id === o.id ? { ...x, stage: { id: stage.id, name: stage.name, probability: stage.probability } } : x)));
    try {
      await api.patch(`/api/v1/opportunities/${o.id}`, { stage_id: stageId });
      message.success(t('kanban.moved', { name: o.name, stage: stage.name }));
    } catch (e) {
      setItems(before);
      message.error(err(e));
    }
  };

  const nameOf = (id: unknown) => items.find((x) => x.id === id)?.name ?? '';
  const stageOf = (id: unknown) => pipeline?.stages.find((s) => `stage-${s.id}` === id)?.name ?? '';

  const changeStatus = (o: Opportunity, s: 'won' | 'lost') => {
    let reason = '';
    modal.confirm({
      title: s === 'won' ? t('opportunity.wonTitle', { name: o.name }) : t('opportunity.lostTitle', { name: o.name }),
      content:
        s === 'lost' ? (
          <Input.TextArea aria-label={t('opportunity.lostReason')} placeholder={t('opportunity.lostReason')} onChange={(e) => (reason = e.target.value)} />
        ) : (
          yuan(o.amount_fen, locale)
        ),
      onOk: async () => {
        try {
          await api.patch(`/api/v1/opportunities/${o.id}`, s === 'won' ? { status: 'won' } : { status: 'lost', lost_reason: reason });
          opps.reload();
        } catch (e) {
          message.error(err(e));
          throw e;
        }
      },
    });
  };

  return (
    <>
      <div className="page-title">
        <h1>{t('nav.opportunities')}</h1>
        <Select
          style={{ width: 160 }}
          aria-label={t('opportunity.pipeline')}
          value={pipelineId}
          onChange={setPipelineId}
          options={(pipelines.data?.items ?? []).map((p) => ({ value: p.id, label: p.name }))}
        />
        <Segmented
          value={view}
          onChange={(v) => setView(v as 'kanban' | 'list')}
          options={[
            { value: 'kanban', label: t('kanban.board') },
            { value: 'list', label: t('kanban.list') },
          ]}
        />
      </div>
      <ErrorAlert error={pipelines.error || opps.error} onRetry={opps.reload} />
      {!pipeline || (opps.loading && !opps.data) ? (
        <Skeleton active />
      ) : view === 'kanban' ? (
        <DndContext sensors={sensors} onDragEnd={onDragEnd}
          accessibility={{ announcements: {
            onDragStart: ({ active }) => t('kanban.a11y.start', { name: nameOf(active.id) }),
            onDragOver: ({ over }) => (over ? t('kanban.a11y.over', { stage: stageOf(over.id) }) : ''),
            onDragEnd: ({ over }) => (over ? t('kanban.a11y.end', { stage: stageOf(over.id) }) : ''),
            onDragCancel: () => t('kanban.a11y.cancel'),
          } }}>
          <div className="kanban">
            {pipeline.stages.map((s) => (
              <Column key={s.id} stage={s} items={byStage.get(s.id) ?? []} onStatus={changeStatus} onOpen={setOpened} />
            ))}
          </div>
          {items.length === 0 && <Empty description={t('opportunity.empty')} />}
        </DndContext>
      ) : (
        <>
          <Segmented
            style={{ marginBottom: 12 }}
            value={status}
            onChange={(v) => setStatus(v as 'open' | 'won' | 'lost')}
            options={(['open', 'won', 'lost'] as const).map((s) => ({ value: s, label: t(`opportunity.status.${s}`) }))}
          />
          <Table<Opportunity>
            rowKey="id"
            loading={opps.loading}
            dataSource={items}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('opportunity.empty') }}
            columns={[
              { title: t('opportunity.name'), render: (_, o) => <Button type="link" style={{ padding: 0 }} onClick={() => setOpened(o)}>{o.name}</Button> },
              { title: t('opportunity.customer'), render: (_, o) => <Link to={`/customers/${o.customer.id}`}>{o.customer.name}</Link> },
              { title: t('opportunity.amount'), render: (_, o) => yuan(o.amount_fen, locale), sorter: (a, b) => a.amount_fen - b.amount_fen },
              { title: t('opportunity.stage'), render: (_, o) => `${o.stage.name} (${o.stage.probability}%)` },
              { title: t('opportunity.owner'), render: (_, o) => o.owner.name },
              { title: t('opportunity.expectedClose'), render: (_, o) => date(o.expected_close_date) },
              ...(status === 'lost' ? [{ title: t('opportunity.lostReason'), dataIndex: 'lost_reason' }] : []),
            ]}
          />
        </>
      )}
      <OpportunityDrawer opportunity={opened} onClose={() => setOpened(null)} onSaved={opps.reload} />
    </>
  );
}
