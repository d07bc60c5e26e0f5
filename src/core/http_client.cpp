#include "core/http_client.hpp"

#include <curl/curl.h>

namespace kelu {

namespace {

constexpr std::size_t kMaxBody = std::size_t{64} * 1024;

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  std::size_t n = size * count;
  if (out->size() < kMaxBody) out->append(data, std::min(n, kMaxBody - out->size()));
  return n;
}

}  // namespace

HttpAnswer HttpPost(const std::string& url, const std::vector<std::string>& headers,
                    const std::string& body, int timeout_seconds) {
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
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  } else {
    answer.error = curl_easy_strerror(rc);
    answer.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return answer;
}

}  // namespace kelu
