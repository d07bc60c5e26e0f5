// The shapes of the API's answers the app reads (snake_case, as the API speaks).
export interface Ref {
  id: number;
  name: string;
}

export interface Customer {
  id: number;
  kind: 'company' | 'person';
  name: string;
  short_name: string;
  industry: string;
  source: string;
  level: string;
  status: string;
  province: string;
  city: string;
  address: string;
  phones: string[];
  website: string;
  tags: string[];
  owner: Ref | null;
  department_id: number | null;
  pool_id: number | null;
  in_pool: boolean;
  last_follow_up_at: string | null;
  next_follow_up_at: string | null;
  notes: string;
  created_at: string;
  updated_at: string;
  custom: Record<string, unknown>;
  duplicates?: DuplicateMatch[];
}

export interface DuplicateMatch {
  field: 'name' | 'phone' | 'email';
  status: 'owned' | 'pool';
  owner: Ref | null;
  customer: Ref | null;
}

export interface Contact {
  id: number;
  customer_id: number;
  name: string;
  title: string;
  mobile: string;
  phone: string;
  email: string;
  wechat: string;
  birthday: string | null;
  is_primary: boolean;
  notes: string;
  custom?: Record<string, unknown>;
}

export interface FollowUp {
  id: number;
  customer_id: number;
  contact_id: number | null;
  type: string;
  content: string;
  at: string;
  next_at: string | null;
  created_by: Ref;
}

export interface Stage {
  id: number;
  name: string;
  probability: number;
  position: number;
}

export interface Pipeline {
  id: number;
  name: string;
  stages: Stage[];
}

export interface Opportunity {
  id: number;
  customer: Ref;
  name: string;
  amount_fen: number;
  weighted_amount_fen: number;
  pipeline_id: number;
  stage: { id: number; name: string; probability: number };
  status: 'open' | 'won' | 'lost';
  lost_reason: string;
  expected_close_date: string | null;
  owner: Ref;
  closed_at: string | null;
  custom?: Record<string, unknown>;
}

export interface Task {
  id: number;
  title: string;
  due_at: string;
  assignee_id: number;
  customer_id: number | null;
  follow_up_id: number | null;
  done: boolean;
  done_at: string | null;
}

export interface Pool {
  id: number;
  name: string;
  customers: number;
}

export interface User {
  id: number;
  login: string;
  name: string;
  role: string;
  status: string;
  department_id: number | null;
}

export interface CrmSettings {
  levels: string[];
  statuses: string[];
  sources: string[];
  industries: string[];
  pool: {
    max_customers_per_user: number;
    max_claims_per_day: number;
    cooldown_days: number;
    warn_days: number;
  };
}

export interface TimelineEvent {
  id: number;
  at: string;
  kind: string;
  actor: Ref | null;
  data: Record<string, unknown>;
}

// A tenant as the operator sees it: metadata only, never its records.
export interface TenantMeta {
  id: number;
  slug: string;
  name: string;
  state: string;
  seats: number;
  active_users: number;
  users: number;
  created_at: string;
}
