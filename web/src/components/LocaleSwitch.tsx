// 中文 / English, remembered in the browser.
import { Segmented } from 'antd';
import { useI18n, type Locale } from '../i18n';

export function LocaleSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Segmented<Locale>
      size="small"
      aria-label={t('common.language')}
      value={locale}
      onChange={setLocale}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: 'EN', value: 'en' },
      ]}
    />
  );
}
