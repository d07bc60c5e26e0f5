// Idempotency keys for state-changing money routes (Stripe semantics): the first answer to a
// key is stored with a digest of the request; the same key and request replay that answer
// (errors too, except 5xx, which may be retried), the same key with another request is 422
// idempotency_key_reused, and a duplicate arriving while the first is running is 409
// idempotency_in_progress. Keys are scoped to the caller.
#pragma once

#include "http/api.hpp"

namespace kelu::http {

// Wraps `handler`. When `required`, a request without an Idempotency-Key header is 400
// idempotency_key_required; otherwise such a request simply runs.
Handler Idempotent(storage::Database& db, Handler handler, bool required = true);

}  // namespace kelu::http
