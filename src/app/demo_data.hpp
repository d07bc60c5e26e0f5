// Sample CRM data for the demo tenant: departments, a pool, a few hundred customers with
// Chinese names, contacts, follow-ups and opportunities across the pipeline's stages. The
// sequence is fixed (seeded), so every demo looks the same.
#pragma once

#include "crm/service.hpp"
#include "identity/service.hpp"

namespace kelu::app {

struct DemoUsers {
  identity::Principal boss;
  identity::Principal member_a;
  identity::Principal member_b;
};

// Adds the sample data unless the tenant already has customers. Returns how many customers
// it created.
Result<int> FillDemoTenant(crm::CrmService& crm, identity::IdentityService& ids,
                           const DemoUsers& users, Timestamp now);

}  // namespace kelu::app
