// How strong a new password is, shown as it is typed: zxcvbn-ts (common passwords, keyboard
// runs, dates, repeats, the user's own names). Its dictionaries are large, so they load only
// when a password field is first shown. The server's check decides; this only guides.
import { Form, Progress, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useI18n, type MessageKey } from '../i18n';

type Check = (password: string, userInputs: string[]) => number;
let checker: Promise<Check> | null = null;

function loadChecker(): Promise<Check> {
  checker ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([core, common]) => {
      const zxcvbn = new core.ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
      return (password, userInputs) => zxcvbn.check(password, userInputs).score;
    },
  );
  return checker;
}

const labels: MessageKey[] = ['password.strength0', 'password.strength1', 'password.strength2', 'password.strength3', 'password.strength4'];
const colors = ['#ff4d4f', '#ff7a45', '#faad14', '#52c41a', '#389e0d'];

// Watches the form field `field`; `userInputs` (login, name, email) count as guessable.
export function PasswordStrength({ field, userInputs = [] }: { field: string; userInputs?: string[] }) {
  const { t } = useI18n();
  const value = Form.useWatch<string | undefined>(field);
  const [score, setScore] = useState<number | null>(null);
  const inputs = userInputs.filter(Boolean).join('\n');
  useEffect(() => {
    let live = true;
    if (!value) {
      setScore(null);
      return;
    }
    void loadChecker().then((check) => {
      if (live) setScore(check(value, inputs ? inputs.split('\n') : []));
    });
    return () => {
      live = false;
    };
  }, [value, inputs]);
  if (score === null) return null;
  return (
    <div data-testid="password-strength" data-score={score} aria-live="polite" style={{ display: 'flex', alignItems: 'center', gap: 8, marginTop: 4 }}>
      <Progress percent={(score + 1) * 20} steps={5} showInfo={false} strokeColor={colors[score]} size="small" />
      <Typography.Text style={{ color: colors[score] }}>
        {t('password.strength')}：{t(labels[score])}
      </Typography.Text>
    </div>
  );
}
