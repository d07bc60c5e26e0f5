#include "core/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "core/net_address.hpp"

namespace kelu {

namespace {

constexpr std::size_t kMaxBody = std::size_t{64} * 1024;

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  std::size_t n = size * count;
  if (out->size() < kMaxBody) out->append(data, std::min(n, kMaxBody - out->size()));
  return n;
}

struct Refusal {
  std::string address;  // set when a connection was refused
};

// Opens the socket only to a public address (curl calls it with the address it resolved).
curl_socket_t OpenPublicSocket(void* user, curlsocktype, curl_sockaddr* target) {
  auto* refusal = static_cast<Refusal*>(user);
  std::optional<IpAddress> address;
  if (target->family == AF_INET && target->addrlen >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&target->addr);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    address = ParseIpAddress(text);
  } else if (target->family == AF_INET6 && target->addrlen >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&target->addr);
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    address = ParseIpAddress(text);
  }
  if (!address || IsNonPublicAddress(*address)) {
    refusal->address = address ? address->ToString() : "an address of another family";
    return CURL_SOCKET_BAD;
  }
  return ::socket(target->family, target->socktype, target->protocol);
}

}  // namespace

HttpAnswer HttpPost(const std::string& url, const std::vector<std::string>& headers,
                    const std::string& body, int timeout_seconds, Destination destination) {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (!curl) {
    answer.error = "libcurl could not start";
    return answer;
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  Refusal refusal;
  if (destination == Destination::kPublicOnly) {
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenPublicSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &refusal);
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  } else if (!refusal.address.empty()) {
    answer.error = "refused to connect to " + refusal.address + ": not a public address";
  } else {
    answer.error = curl_easy_strerror(rc);
    answer.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return answer;
}

}  // namespace kelu
