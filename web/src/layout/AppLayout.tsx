// The tenant's frame: the menu (what the role may use), the header with global search
// (Ctrl+K or /), the language switch and the user menu, and a banner when the service is
// not active that says what happened and the way back.
import { useEffect, useMemo, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { Alert, Avatar, Button, Dropdown, Grid, Layout, Menu, Result, Space, Tag } from 'antd';
import {
  AccountBookOutlined,
  BankOutlined,
  CalendarOutlined,
  ContactsOutlined,
  DashboardOutlined,
  DeleteOutlined,
  FundOutlined,
  LogoutOutlined,
  MessageOutlined,
  SearchOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
  ImportOutlined,
  InboxOutlined,
} from '@ant-design/icons';
import { LocaleSwitch } from '../components/LocaleSwitch';
import { SearchDialog } from '../components/SearchDialog';
import { useI18n, type MessageKey } from '../i18n';
import { useMe, useSession } from '../session';

const { Header, Sider, Content } = Layout;

const roleKeys: Record<string, MessageKey> = {
  boss: 'role.boss',
  admin: 'role.admin',
  manager: 'role.manager',
  member: 'role.member',
};

function StateBanner({ state, isBoss }: { state: string; isBoss: boolean }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  if (state === 'active') return null;
  const key = stateKey(state);
  return (
    <Alert
      banner
      type={state === 'suspended' || state === 'pending' ? 'warning' : 'error'}
      title={t(key)}
      description={isBoss ? t(`${key}.boss` as MessageKey) : t('banner.askBoss')}
      action={isBoss && state !== 'purged' ? <Button onClick={() => navigate('/billing')}>{t('banner.toBilling')}</Button> : undefined}
      role="status"
    />
  );
}

function stateKey(state: string): MessageKey {
  return (['suspended', 'terminated', 'pending', 'purged'].includes(state) ? `banner.${state}` : 'banner.other') as MessageKey;
}

// While the service is not active the CRM is closed (clause 10): instead of pages that fail,
// the way back. The boss keeps billing, notices and the account.
function Closed({ state, isBoss }: { state: string; isBoss: boolean }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="warning"
      title={t(stateKey(state))}
      subTitle={isBoss ? t(`${stateKey(state)}.boss` as MessageKey) : t('banner.askBoss')}
      extra={isBoss && state !== 'purged' ? <Button type="primary" onClick={() => navigate('/billing')}>{t('banner.toBilling')}</Button> : undefined}
    />
  );
}

const openWhileClosed = ['/billing', '/company', '/account'];

export default function AppLayout() {
  const { t } = useI18n();
  const me = useMe();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const [searchOpen, setSearchOpen] = useState(false);
  const [collapsed, setCollapsed] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = target.closest('input, textarea, [contenteditable="true"]');
      if ((e.key === 'k' && (e.ctrlKey || e.metaKey)) || (e.key === '/' && !typing)) {
        e.preventDefault();
        setSearchOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const items = useMemo(
    () => [
      { key: '/', icon: <DashboardOutlined />, label: <Link to="/">{t('nav.dashboard')}</Link> },
      { key: '/customers', icon: <TeamOutlined />, label: <Link to="/customers">{t('nav.customers')}</Link> },
      { key: '/contacts', icon: <ContactsOutlined />, label: <Link to="/contacts">{t('nav.contacts')}</Link> },
      { key: '/follow-ups', icon: <MessageOutlined />, label: <Link to="/follow-ups">{t('nav.followUps')}</Link> },
      { key: '/opportunities', icon: <FundOutlined />, label: <Link to="/opportunities">{t('nav.opportunities')}</Link> },
      { key: '/pool', icon: <InboxOutlined />, label: <Link to="/pool">{t('nav.pool')}</Link> },
      { key: '/tasks', icon: <CalendarOutlined />, label: <Link to="/tasks">{t('nav.tasks')}</Link> },
      { key: '/imports', icon: <ImportOutlined />, label: <Link to="/imports">{t('nav.imports')}</Link> },
      { key: '/recycle-bin', icon: <DeleteOutlined />, label: <Link to="/recycle-bin">{t('nav.recycleBin')}</Link> },
      ...(me.role === 'boss' || me.role === 'admin'
        ? [
            { key: '/users', icon: <UserOutlined />, label: <Link to="/users">{t('nav.users')}</Link> },
            { key: '/settings', icon: <SettingOutlined />, label: <Link to="/settings">{t('nav.settings')}</Link> },
          ]
        : []),
      ...(me.role === 'boss'
        ? [
            { key: '/billing', icon: <AccountBookOutlined />, label: <Link to="/billing">{t('nav.billing')}</Link> },
            { key: '/company', icon: <BankOutlined />, label: <Link to="/company">{t('nav.company')}</Link> },
          ]
        : []),
    ],
    [t, me.role],
  );
  const selected = '/' + (location.pathname.split('/')[1] || '');
  const narrow = !screens.md;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <Sider
        breakpoint="md"
        collapsedWidth={narrow ? 0 : 64}
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        width={208}
        zeroWidthTriggerStyle={{ top: 10 }}
        aria-label={t('nav.label')}
      >
        <div className="app-logo">{collapsed ? '客' : t('app.name')}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[selected]}
          items={items}
          onClick={() => narrow && setCollapsed(true)}
        />
      </Sider>
      <Layout>
        <Header className="app-header" style={narrow ? { paddingInlineStart: 56 } : undefined}>
          <Button icon={<SearchOutlined />} onClick={() => setSearchOpen(true)} aria-keyshortcuts="Control+K">
            <span className="hide-narrow">{t('search.button')}</span>
            <Tag className="hide-narrow" style={{ marginInlineStart: 8 }}>Ctrl K</Tag>
          </Button>
          <span className="spacer" />
          <span className="hide-narrow">{me.tenant.name}</span>
          <LocaleSwitch />
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'account', icon: <UserOutlined />, label: t('nav.account') },
                { type: 'divider' },
                { key: 'logout', icon: <LogoutOutlined />, label: t('nav.logout'), danger: true },
              ],
              onClick: async ({ key }) => {
                if (key === 'account') navigate('/account');
                if (key === 'logout') {
                  await signOut();
                  navigate('/login', { replace: true });
                }
              },
            }}
          >
            <Button type="text" aria-label={`${me.user.name} · ${t(roleKeys[me.role] ?? 'role.member')}, ${t('nav.userMenu')}`}>
              <Space>
                <Avatar size="small" icon={<UserOutlined />} />
                <span className="hide-narrow">
                  {me.user.name} · {t(roleKeys[me.role] ?? 'role.member')}
                </span>
              </Space>
            </Button>
          </Dropdown>
        </Header>
        <StateBanner state={me.tenant.state} isBoss={me.role === 'boss'} />
        <Content id="main" className="app-content" tabIndex={-1}>
          {me.tenant.state === 'active' || openWhileClosed.includes(selected) ? (
            <Outlet />
          ) : (
            <Closed state={me.tenant.state} isBoss={me.role === 'boss'} />
          )}
        </Content>
      </Layout>
      <SearchDialog open={searchOpen} onClose={() => setSearchOpen(false)} />
    </Layout>
  );
}
