// The operator console's frame. It links only to operator routes: tenants' metadata, orders,
// activations and notices, never a tenant's CRM records.
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { Button, Grid, Layout, Menu, Tag } from 'antd';
import { AccountBookOutlined, BarChartOutlined, CheckCircleOutlined, ClockCircleOutlined, CustomerServiceOutlined, LogoutOutlined, ShopOutlined, TagsOutlined } from '@ant-design/icons';
import { LocaleSwitch } from '../components/LocaleSwitch';
import { useI18n } from '../i18n';
import { useOperatorSession } from '../session';

export default function OperatorLayout() {
  const { t } = useI18n();
  const { me, signOut } = useOperatorSession();
  const navigate = useNavigate();
  const location = useLocation();
  const narrow = !Grid.useBreakpoint().md;
  const selected = '/operator/' + (location.pathname.split('/')[2] || 'tenants');
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="md" collapsedWidth={0} width={208} zeroWidthTriggerStyle={{ top: 10 }} aria-label={t('nav.label')}>
        <div className="app-logo">
          {t('app.name')} <Tag color="orange">{t('operator.badge')}</Tag>
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[selected]}
          items={[
            { key: '/operator/tenants', icon: <ShopOutlined />, label: <Link to="/operator/tenants">{t('operator.tenants')}</Link> },
            { key: '/operator/orders', icon: <AccountBookOutlined />, label: <Link to="/operator/orders">{t('op.orders')}</Link> },
            { key: '/operator/activations', icon: <CheckCircleOutlined />, label: <Link to="/operator/activations">{t('op.activations')}</Link> },
            { key: '/operator/price-list', icon: <TagsOutlined />, label: <Link to="/operator/price-list">{t('price.title')}</Link> },
            { key: '/operator/service', icon: <CustomerServiceOutlined />, label: <Link to="/operator/service">{t('op.service')}</Link> },
            { key: '/operator/reports', icon: <BarChartOutlined />, label: <Link to="/operator/reports">{t('op.reports')}</Link> },
            { key: '/operator/clock', icon: <ClockCircleOutlined />, label: <Link to="/operator/clock">{t('op.clock')}</Link> },
          ]}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="app-header" style={narrow ? { paddingInlineStart: 56 } : undefined}>
          <span className="spacer" />
          <span className="hide-narrow">{me?.name}</span>
          <LocaleSwitch />
          <Button
            icon={<LogoutOutlined />}
            onClick={async () => {
              await signOut();
              navigate('/operator/login', { replace: true });
            }}
          >
            {t('nav.logout')}
          </Button>
        </Layout.Header>
        <Layout.Content id="main" className="app-content">
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
