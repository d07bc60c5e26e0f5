// Outgoing HTTP POSTs (libcurl): webhooks and the SMS and fax providers. Blocking, one request
// per call, no redirects, http and https only. Thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kelu {

struct HttpAnswer {
  long status = 0;    // 0 when no answer came (see error)
  std::string body;   // at most 64 KiB of it
  std::string error;  // the transport error (timeout, refused), empty when an answer came
  bool timed_out = false;
};

// Where a request may connect. kPublicOnly is for URLs a tenant chose (webhooks): the
// address is checked when the socket is opened, after every name is resolved, so a name that
// resolves to a loopback or private address (or comes to, between checks) is refused; no proxy
// from the environment is used.
enum class Destination { kAny, kPublicOnly };

// POSTs `body` to `url` with `headers` ("Name: value"), waiting at most `timeout_seconds`.
HttpAnswer HttpPost(const std::string& url, const std::vector<std::string>& headers,
                    const std::string& body, int timeout_seconds,
                    Destination destination = Destination::kAny);

}  // namespace kelu
