// Dates as people read them. The API speaks RFC 3339 with the Shanghai offset; business dates
// are YYYY-MM-DD. Shown in the browser's zone (which for our users is Asia/Shanghai).
import dayjs from 'dayjs';

export function dateTime(v: string | null | undefined): string {
  return v ? dayjs(v).format('YYYY-MM-DD HH:mm') : '—';
}

export function date(v: string | null | undefined): string {
  return v ? dayjs(v).format('YYYY-MM-DD') : '—';
}

// A dayjs value from a date picker as the API's RFC 3339 with the local offset.
export function toRfc3339(v: dayjs.Dayjs | null | undefined): string | null {
  return v ? v.format('YYYY-MM-DDTHH:mm:ssZ') : null;
}
