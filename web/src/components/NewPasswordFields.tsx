// A new password and its repetition, with the policy said and the strength shown as one types:
// the forced change after sign-in and the emailed link's page share them.
import { Form, Input } from 'antd';
import { useI18n } from '../i18n';
import { PasswordStrength } from './PasswordStrength';

export function NewPasswordFields() {
  const { t } = useI18n();
  return (
    <>
      <Form.Item label={t('account.newPassword')} name="new_password" rules={[{ required: true, message: t('form.required') }]}
        extra={<>{t('account.passwordRule')}<PasswordStrength field="new_password" /></>}>
        <Input.Password autoComplete="new-password" autoFocus />
      </Form.Item>
      <Form.Item
        label={t('account.confirmPassword')}
        name="confirm"
        dependencies={['new_password']}
        rules={[
          { required: true, message: t('form.required') },
          ({ getFieldValue }) => ({
            validator: (_, value) =>
              !value || getFieldValue('new_password') === value ? Promise.resolve() : Promise.reject(new Error(t('account.mismatch'))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </>
  );
}
