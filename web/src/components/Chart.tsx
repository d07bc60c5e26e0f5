// An ECharts chart built from only the parts the app uses (bar, line, funnel), so the
// dashboard's chunk stays small; loaded after the page's figures (React.lazy). Resizes with its box; described for screen readers.
import { useEffect, useRef } from 'react';
import { BarChart, FunnelChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, AriaComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, FunnelChart, LineChart, GridComponent, LegendComponent, TooltipComponent, AriaComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

interface SeriesLike {
  name?: string;
  data?: Array<number | { name?: string; value?: number }>;
}

// What a screen reader is told the chart shows: per series, each category with its value
// ("name: Jan 3, Feb 5; …"), or each named item (a funnel's stages). ECharts' own description
// reads category bars as their index, so the app writes its own.
export function describeChart(label: string, option: ChartOption): string {
  const axis = (a: unknown) => (Array.isArray(a) ? a[0] : a) as { type?: string; data?: string[] } | undefined;
  const x = axis(option.xAxis);
  const y = axis(option.yAxis);
  const categories = x?.type === 'category' ? x.data : y?.type === 'category' ? y.data : undefined;
  const series = (Array.isArray(option.series) ? option.series : [option.series]).filter(Boolean) as SeriesLike[];
  const parts = series.map((s) => {
    const items = (s.data ?? []).map((d, i) =>
      typeof d === 'object' && d !== null ? `${d.name ?? categories?.[i] ?? ''} ${d.value ?? ''}` : `${categories?.[i] ?? ''} ${d}`,
    );
    return `${s.name ? `${s.name}: ` : ''}${items.join(', ')}`;
  });
  return [label, ...parts].join('; ');
}

export default function Chart({ option, label, height = 280 }: { option: ChartOption; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!box.current) return;
    const c = echarts.init(box.current);
    chart.current = c;
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption({ ...option, aria: { enabled: true, label: { description: describeChart(label, option) } } }, true);
  }, [option, label]);
  // ECharts writes the description into the chart's aria-label; the group around it carries
  // the chart's title.
  return (
    <div role="group" aria-label={label}>
      <div ref={box} style={{ width: '100%', height }} />
    </div>
  );
}
