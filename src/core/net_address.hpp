// IP addresses and ranges as configuration and headers write them, for deciding who a request
// came from (X-Forwarded-For behind trusted proxies) and where a webhook may go. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kelu {

// An IPv4 or IPv6 address; IPv4 is kept as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so
// the two spellings of one address compare equal.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const IpAddress&) const = default;
  bool is_v4() const;
  // "192.0.2.1", "2001:db8::1".
  std::string ToString() const;
};

// An address and how many of its leading bits a range fixes ("10.0.0.0/8", "::1/128").
struct IpRange {
  IpAddress base;
  int prefix = 128;  // in IPv6 bits: an IPv4 /8 is 96 + 8
  bool Contains(const IpAddress& a) const;
};

// "192.0.2.1", "2001:db8::1", "[2001:db8::1]", "::ffff:192.0.2.1", and either with a port
// ("192.0.2.1:443", "[2001:db8::1]:443"), as proxies write them; nullopt otherwise.
std::optional<IpAddress> ParseIpAddress(std::string_view text);
// An address, or one with "/bits" (0..32 for IPv4, 0..128 for IPv6); nullopt otherwise.
std::optional<IpRange> ParseIpRange(std::string_view text);
// Whether `a` is in one of `ranges`.
bool InAnyRange(const IpAddress& a, const std::vector<IpRange>& ranges);
// A list of ranges separated by commas or spaces; nullopt when any entry is not one.
std::optional<std::vector<IpRange>> ParseIpRanges(std::string_view text);

// Loopback, private (RFC 1918, RFC 4193), link-local, shared (RFC 6598), unspecified,
// multicast, broadcast or otherwise not a public unicast address (RFC 6890): nowhere a
// webhook may go unless configured to.
bool IsNonPublicAddress(const IpAddress& a);

// Who sent a request: `peer` (the TCP peer) unless it is one of `trusted` proxies; then the
// rightmost X-Forwarded-For entry that is not a trusted proxy, read right to left through the
// headers' values in the order they came (so what a client writes in its own header can never
// be chosen while a trusted proxy appends the address it saw). An entry that is not an
// address ends the walk at the last trusted hop before it.
std::string ClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                          const std::vector<IpRange>& trusted);

}  // namespace kelu
