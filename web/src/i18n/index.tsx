// The app speaks zh-CN by default and en on request (saved in the browser). Every string on
// screen comes from here; every API error code has a sentence in both (errors.json).
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import errors from './errors.json';
import { en } from './en';
import { zh, type MessageKey } from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export type { MessageKey };
type Vars = Record<string, string | number | null | undefined>;

const dictionaries: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zh, en };
const errorTexts = errors as Record<string, Record<Locale, string>>;
const storageKey = 'kelu.locale';

function initialLocale(): Locale {
  const saved = localStorage.getItem(storageKey);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return 'zh-CN';
}

export function format(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = vars[name];
    return v === undefined || v === null ? whole : String(v);
  });
}

// Field messages of 422 answers are short English phrases; shown in Chinese when we know them.
const fieldPatterns: Array<[RegExp, string]> = [
  [/^required$/, '必填'],
  [/^must have at least (\d+) characters$/, '至少 $1 个字符'],
  [/^must have at most (\d+) characters$/, '最多 $1 个字符'],
  [/^must be one of: (.*)$/, '只能是：$1'],
  [/^must be an integer$/, '必须是整数'],
  [/^must be from (-?\d+) to (-?\d+)$/, '必须在 $1 到 $2 之间'],
  [/^must be a string$/, '必须是文字'],
  [/^must be true or false$/, '必须是“是”或“否”'],
  [/^must be a date \(YYYY-MM-DD\)$/, '必须是日期（年-月-日）'],
  [/^unknown field$/, '未知字段'],
  [/^is not an email address$/, '不是有效的邮箱地址'],
  [/^"(.*)" is not a phone number$/, '“$1”不是有效的电话号码'],
  [/^is not a phone number$/, '不是有效的电话号码'],
  [/^must be (a date )?YYYY-MM-DD$/, '必须是日期（年-月-日）'],
  [/^must not be in the future$/, '不能晚于今天'],
  [/^must be an RFC 3339 timestamp( with an offset)?$/, '必须是带时区的时间'],
  [/^required when lost$/, '输单时必填'],
  [/^must not be before starts_on$/, '不能早于开始日期'],
  [/^use lower-case letters, digits and _, starting with a letter$/, '只能用小写字母、数字和下划线，以字母开头'],
  [/^must not contain spaces$/, '不能包含空格'],
  [/^must not be empty$/, '不能为空'],
  [/^must be another customer$/, '必须是另一个客户'],
  [/^must not contain control characters$/, '不能包含不可见的控制字符'],
  [/^must be an https address$/, '必须是 https 开头的地址'],
  [/^must not point at a private or loopback address$/, '不能指向内网或本机地址'],
  [/^must be UTF-8 text$/, '包含无法识别的字符'],
];

export function fieldMessage(locale: Locale, text: string): string {
  if (locale === 'en') return text;
  for (const [re, zhText] of fieldPatterns) if (re.test(text)) return text.replace(re, zhText);
  return text;
}

export function errorMessage(locale: Locale, error: unknown): string {
  if (error instanceof ApiError) {
    const entry = errorTexts[error.code];
    const vars: Vars = {};
    for (const [k, v] of Object.entries(error.details)) {
      if (typeof v === 'number' || typeof v === 'string') vars[k] = v;
      if (typeof v === 'number' && k.endsWith('_bytes')) vars[k.replace(/_bytes$/, '_mb')] = (v / 1048576).toFixed(1);
      if (typeof v === 'number' && k.endsWith('_fen')) vars[k.replace(/_fen$/, '_yuan')] = (v / 100).toFixed(2);
    }
    if (entry) return format(entry[locale], vars);
    return format(dictionaries[locale]['error.unknown'], { code: error.code });
  }
  return dictionaries[locale]['error.unexpected'];
}

export function hasErrorText(code: string): boolean {
  return code in errorTexts;
}

interface I18n {
  locale: Locale;
  setLocale: (l: Locale) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  err: (error: unknown) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    localStorage.setItem(storageKey, l);
    document.documentElement.lang = l;
    setLocaleState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    document.documentElement.lang = locale;
    const dict = dictionaries[locale];
    return {
      locale,
      setLocale,
      t: (key, vars) => format(dict[key] ?? key, vars),
      err: (error) => errorMessage(locale, error),
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
