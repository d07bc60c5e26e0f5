// The frame of the sign-in pages: the product's name, the language switch, one card.
import type { ReactNode } from 'react';
import { Card, Typography } from 'antd';
import { useI18n } from '../i18n';
import { LocaleSwitch } from './LocaleSwitch';

export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <main className="auth-page">
      <div className="auth-top">
        <LocaleSwitch />
      </div>
      <Card className="auth-card">
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('app.name')}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{title}</Typography.Paragraph>
        {children}
      </Card>
    </main>
  );
}
