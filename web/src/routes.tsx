// Every screen and its address. Pages are loaded lazily (one chunk each); the tenant's pages
// sit behind the tenant sign-in, the operator's behind the operator sign-in.
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { Spin } from 'antd';
import { OperatorSessionProvider, TenantSessionProvider, useOperatorSession, useSession } from './session';

const Login = lazy(() => import('./pages/Login'));
const Forgot = lazy(() => import('./pages/Recover').then((m) => ({ default: m.Forgot })));
const Recover = lazy(() => import('./pages/Recover').then((m) => ({ default: m.Recover })));
const AppLayout = lazy(() => import('./layout/AppLayout'));
const Dashboard = lazy(() => import('./pages/Dashboard'));
const CustomerList = lazy(() => import('./pages/CustomerList'));
const CustomerDetail = lazy(() => import('./pages/CustomerDetail'));
const Opportunities = lazy(() => import('./pages/Opportunities'));
const Pool = lazy(() => import('./pages/Pool'));
const Tasks = lazy(() => import('./pages/Tasks'));
const Account = lazy(() => import('./pages/Account'));
const Imports = lazy(() => import('./pages/Imports'));
const Billing = lazy(() => import('./pages/Billing'));
const RecycleBin = lazy(() => import('./pages/RecycleBin'));
const Users = lazy(() => import('./pages/Users'));
const Contacts = lazy(() => import('./pages/Contacts'));
const Settings = lazy(() => import('./pages/Settings'));
const Company = lazy(() => import('./pages/Company'));
const FollowUps = lazy(() => import('./pages/FollowUps'));
const OperatorLogin = lazy(() => import('./operator/OperatorLogin'));
const OperatorLayout = lazy(() => import('./operator/OperatorLayout'));
const OperatorTenants = lazy(() => import('./operator/Tenants'));
const OperatorOrders = lazy(() => import('./operator/Orders'));
const OperatorActivations = lazy(() => import('./operator/Activations'));
const OperatorClock = lazy(() => import('./operator/Clock'));
const OperatorTenantDetail = lazy(() => import('./operator/TenantDetail'));
const OperatorService = lazy(() => import('./operator/Service'));
const OperatorPriceList = lazy(() => import('./operator/PriceList'));
const OperatorReports = lazy(() => import('./operator/Reports'));

const spinner = <Spin size="large" style={{ display: 'block', margin: '20vh auto' }} />;

function RequireUser({ children }: { children: ReactNode }) {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') return spinner;
  if (status === 'signed-out') {
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  return <>{children}</>;
}

function RequireOperator({ children }: { children: ReactNode }) {
  const { status } = useOperatorSession();
  if (status === 'loading') return spinner;
  if (status === 'signed-out') return <Navigate to="/operator/login" replace />;
  return <>{children}</>;
}

function TenantApp() {
  return (
    <TenantSessionProvider>
      <Routes>
        <Route path="login" element={<Login />} />
        <Route path="forgot" element={<Forgot />} />
        <Route path="recover" element={<Recover />} />
        <Route
          element={
            <RequireUser>
              <AppLayout />
            </RequireUser>
          }
        >
          <Route index element={<Dashboard />} />
          <Route path="customers" element={<CustomerList />} />
          <Route path="customers/:id" element={<CustomerDetail />} />
          <Route path="contacts" element={<Contacts />} />
          <Route path="follow-ups" element={<FollowUps />} />
          <Route path="opportunities" element={<Opportunities />} />
          <Route path="pool" element={<Pool />} />
          <Route path="tasks" element={<Tasks />} />
          <Route path="account" element={<Account />} />
          <Route path="imports" element={<Imports />} />
          <Route path="billing" element={<Billing />} />
          <Route path="recycle-bin" element={<RecycleBin />} />
          <Route path="users" element={<Users />} />
          <Route path="settings" element={<Settings />} />
          <Route path="company" element={<Company />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </TenantSessionProvider>
  );
}

function OperatorApp() {
  return (
    <OperatorSessionProvider>
      <Routes>
        <Route path="login" element={<OperatorLogin />} />
        <Route
          element={
            <RequireOperator>
              <OperatorLayout />
            </RequireOperator>
          }
        >
          <Route index element={<Navigate to="tenants" replace />} />
          <Route path="tenants" element={<OperatorTenants />} />
          <Route path="tenants/:id" element={<OperatorTenantDetail />} />
          <Route path="service" element={<OperatorService />} />
          <Route path="price-list" element={<OperatorPriceList />} />
          <Route path="reports" element={<OperatorReports />} />
          <Route path="orders" element={<OperatorOrders />} />
          <Route path="activations" element={<OperatorActivations />} />
          <Route path="clock" element={<OperatorClock />} />
          <Route path="*" element={<Navigate to="/operator/tenants" replace />} />
        </Route>
      </Routes>
    </OperatorSessionProvider>
  );
}

export function AppRoutes() {
  return (
    <Suspense fallback={spinner}>
      <Routes>
        <Route path="/operator/*" element={<OperatorApp />} />
        <Route path="/*" element={<TenantApp />} />
      </Routes>
    </Suspense>
  );
}
