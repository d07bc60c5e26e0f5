// Reads the live schema and reports every tenant-owned table that breaks the tenancy key
// rule: tenant_id leads its primary key and every foreign key. A table is tenant-owned when
// it has a tenant_id column; the few global tables are listed in kGlobalTables.
#pragma once

#include <string>
#include <vector>

#include "storage/database.hpp"

namespace kelu::storage {

// Tables that belong to the service, not to a tenant.
extern const std::vector<std::string> kGlobalTables;

// Every table with a tenant_id column, each listed before the tables it references (so
// deleting in this order never breaks a foreign key).
std::vector<std::string> TenantTablesChildrenFirst(Connection& c);

// One message per violation; empty when the schema keeps the rule.
std::vector<std::string> TenantKeyViolations(Database& db);

}  // namespace kelu::storage
