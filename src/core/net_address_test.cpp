#include "core/net_address.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

const std::vector<IpRange> kLoopback = *ParseIpRanges("127.0.0.0/8, ::1");

TEST(NetAddress, ParsesAddressesAsProxiesWriteThem) {
  EXPECT_EQ(ParseIpAddress("192.0.2.1")->ToString(), "192.0.2.1");
  EXPECT_EQ(ParseIpAddress(" 192.0.2.1 ")->ToString(), "192.0.2.1");
  EXPECT_EQ(ParseIpAddress("192.0.2.1:8443")->ToString(), "192.0.2.1");
  EXPECT_EQ(ParseIpAddress("2001:db8::1")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseIpAddress("[2001:db8::1]:443")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseIpAddress("::ffff:192.0.2.1"), ParseIpAddress("192.0.2.1"));
  for (std::string_view bad : {"", "unknown", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:x",
                               "[::1", "::1:80:", "1.2.3.4/8", "_hidden", "1.2.3.4:123456"}) {
    EXPECT_FALSE(ParseIpAddress(bad)) << bad;
  }
}

TEST(NetAddress, RangesMatchTheirPrefix) {
  auto r = ParseIpRange("10.1.0.0/16");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->Contains(*ParseIpAddress("10.1.255.7")));
  EXPECT_FALSE(r->Contains(*ParseIpAddress("10.2.0.1")));
  EXPECT_TRUE(ParseIpRange("0.0.0.0/0")->Contains(*ParseIpAddress("8.8.8.8")));
  EXPECT_FALSE(ParseIpRange("0.0.0.0/0")->Contains(*ParseIpAddress("2001:db8::1")));
  EXPECT_TRUE(ParseIpRange("192.0.2.9")->Contains(*ParseIpAddress("192.0.2.9")));
  EXPECT_FALSE(ParseIpRange("192.0.2.9")->Contains(*ParseIpAddress("192.0.2.10")));
  EXPECT_TRUE(ParseIpRange("fd00::/8")->Contains(*ParseIpAddress("fd12::1")));
  EXPECT_FALSE(ParseIpRange("10.0.0.0/33"));
  EXPECT_FALSE(ParseIpRange("::/129"));
  EXPECT_FALSE(ParseIpRanges("127.0.0.1, nonsense"));
  EXPECT_EQ(ParseIpRanges("")->size(), 0u);
  EXPECT_EQ(ParseIpRanges("127.0.0.0/8,::1  10.0.0.0/8")->size(), 3u);
}

TEST(ClientAddress, APeerThatIsNoTrustedProxyIsTheClientWhateverItForwards) {
  EXPECT_EQ(ClientAddress("203.0.113.7", {"6.6.6.6"}, kLoopback), "203.0.113.7");
  EXPECT_EQ(ClientAddress("203.0.113.7", {}, kLoopback), "203.0.113.7");
}

TEST(ClientAddress, TheRightmostUntrustedForwardedAddressIsTheClient) {
  // The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
  EXPECT_EQ(ClientAddress("127.0.0.1", {"6.6.6.6, 203.0.113.7"}, kLoopback), "203.0.113.7");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"6.6.6.6", "203.0.113.7"}, kLoopback), "203.0.113.7")
      << "two headers read as one list, in order";
  // Proxies in front of proxies.
  auto chain = *ParseIpRanges("127.0.0.1, 10.0.0.0/8");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"6.6.6.6, 198.51.100.4, 10.0.0.5, 10.0.0.9"}, chain),
            "198.51.100.4");
  // Every hop trusted: the farthest one.
  EXPECT_EQ(ClientAddress("127.0.0.1", {"10.0.0.5, 10.0.0.9"}, chain), "10.0.0.5");
  EXPECT_EQ(ClientAddress("127.0.0.1", {}, kLoopback), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"[2001:db8::7]:5000"}, kLoopback), "2001:db8::7");
}

TEST(ClientAddress, AnEntryThatIsNoAddressEndsTheWalkAtTheLastTrustedHop) {
  auto chain = *ParseIpRanges("127.0.0.1, 10.0.0.0/8");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"203.0.113.7, garbage, 10.0.0.9"}, chain), "10.0.0.9");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"unknown"}, kLoopback), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", {" , ,203.0.113.7"}, kLoopback), "203.0.113.7");
}

TEST(NetAddress, OnlyPublicUnicastAddressesArePublic) {
  for (std::string_view inside : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                                  "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                                  "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
                                  "fd00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
                                  "64:ff9b::a00:1", "2002:a00:1::", "::10.0.0.1"}) {
    EXPECT_TRUE(IsNonPublicAddress(*ParseIpAddress(inside))) << inside;
  }
  for (std::string_view outside : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "114.114.114.114",
                                   "2400:3200::1", "2606:4700::1111"}) {
    EXPECT_FALSE(IsNonPublicAddress(*ParseIpAddress(outside))) << outside;
  }
}

}  // namespace
}  // namespace kelu
