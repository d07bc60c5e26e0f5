#include "core/net_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace kelu {

namespace {

constexpr std::array<std::uint8_t, 12> kV4Mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<IpAddress> ParseBare(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress a;
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    std::copy(kV4Mapped.begin(), kV4Mapped.end(), a.bytes.begin());
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

bool PortOnly(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool IpAddress::is_v4() const { return std::equal(kV4Mapped.begin(), kV4Mapped.end(), bytes.begin()); }

std::string IpAddress::ToString() const {
  char out[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    ::inet_ntop(AF_INET, bytes.data() + 12, out, sizeof out);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
  }
  return out;
}

bool IpRange::Contains(const IpAddress& a) const {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  text = Trim(text);
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && PortOnly(rest.substr(1)))) return std::nullopt;
    return ParseBare(text.substr(1, close - 1));
  }
  if (auto a = ParseBare(text)) return a;
  // "a.b.c.d:port": one colon only, or it would be IPv6.
  auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos &&
      PortOnly(text.substr(colon + 1))) {
    auto a = ParseBare(text.substr(0, colon));
    if (a && a->is_v4()) return a;
  }
  return std::nullopt;
}

std::optional<IpRange> ParseIpRange(std::string_view text) {
  text = Trim(text);
  auto slash = text.find('/');
  auto base = ParseBare(text.substr(0, slash));
  if (!base) return std::nullopt;
  IpRange r{*base, 128};
  if (slash == std::string_view::npos) return r;
  std::string_view bits = text.substr(slash + 1);
  if (!PortOnly(bits) || bits.size() > 3) return std::nullopt;
  int n = std::stoi(std::string(bits));
  int max = base->is_v4() ? 32 : 128;
  if (n > max) return std::nullopt;
  r.prefix = base->is_v4() ? 96 + n : n;
  return r;
}

std::optional<std::vector<IpRange>> ParseIpRanges(std::string_view text) {
  std::vector<IpRange> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = text.find_first_of(", ", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(i, end - i);
    if (!item.empty()) {
      auto r = ParseIpRange(item);
      if (!r) return std::nullopt;
      out.push_back(*r);
    }
    i = end + 1;
  }
  return out;
}

bool InAnyRange(const IpAddress& a, const std::vector<IpRange>& ranges) {
  return std::any_of(ranges.begin(), ranges.end(), [&](const IpRange& r) { return r.Contains(a); });
}

bool IsNonPublicAddress(const IpAddress& a) {
  static const std::vector<IpRange> kRanges = *ParseIpRanges(
      "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 "
      "192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 "
      "203.0.113.0/24 224.0.0.0/4 240.0.0.0/4 "
      "::/128 ::1/128 64:ff9b:1::/48 100::/64 2001::/23 2001:db8::/32 fc00::/7 fe80::/10 ff00::/8");
  // IPv4-compatible, NAT64 and 6to4 forms can name any IPv4 address: only the plain IPv4 form
  // is judged, so those are refused as not public.
  static const std::vector<IpRange> kEmbedding = *ParseIpRanges("::/96 64:ff9b::/96 2002::/16");
  return InAnyRange(a, kRanges) || InAnyRange(a, kEmbedding);
}

std::string ClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                          const std::vector<IpRange>& trusted) {
  auto from = ParseIpAddress(peer);
  if (!from || !InAnyRange(*from, trusted)) return std::string(peer);
  IpAddress last = *from;  // the nearest hop known so far
  for (auto header = forwarded_for.rbegin(); header != forwarded_for.rend(); ++header) {
    std::string_view list = *header;
    while (!list.empty()) {
      auto comma = list.rfind(',');
      std::string_view item = comma == std::string_view::npos ? list : list.substr(comma + 1);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
      if (Trim(item).empty()) continue;
      auto a = ParseIpAddress(item);
      if (!a) return last.ToString();
      if (!InAnyRange(*a, trusted)) return a->ToString();
      last = *a;
    }
  }
  return last.ToString();
}

}  // namespace kelu
