// The app's entry: language, Ant Design theme and locale, and the routes. Each page is its own
// chunk, loaded when first visited.
import { StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { I18nProvider, useI18n } from './i18n';
import { ReauthPrompt } from './components/ReauthPrompt';
import { AppRoutes } from './routes';
import './styles.css';

function Themed() {
  const { locale } = useI18n();
  dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
  return (
    <ConfigProvider
      locale={locale === 'zh-CN' ? zhCN : enUS}
      // Colours darker than Ant Design's defaults where text sits on them, so every text meets
      // WCAG AA contrast (4.5:1): white on the primary blue, links, secondary text and the
      // placeholders that name the list filters.
      theme={{
        token: {
          colorPrimary: '#0958d9',
          colorLink: '#0958d9',
          colorInfo: '#0958d9',
          colorTextDescription: 'rgba(0, 0, 0, 0.65)',
          colorTextTertiary: 'rgba(0, 0, 0, 0.62)',
          colorTextPlaceholder: 'rgba(0, 0, 0, 0.56)',
          colorError: '#cf1322',
          borderRadius: 6,
        },
        // An empty table's sentence is text to read, not a disabled control (lists: styles.css).
        components: { Table: { colorTextDisabled: 'rgba(0, 0, 0, 0.56)' } },
      }}
    >
      <AntApp>
        <Suspense fallback={<Spin size="large" style={{ display: 'block', margin: '20vh auto' }} />}>
          <AppRoutes />
          <ReauthPrompt />
        </Suspense>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <BrowserRouter>
        <Themed />
      </BrowserRouter>
    </I18nProvider>
  </StrictMode>,
);
