#include "common/endpoint_list.h"

#include <gtest/gtest.h>

namespace echelon {
namespace {

TEST(SplitEndpoints, TrimsAndDropsEmptyParts) {
  EXPECT_EQ(SplitEndpoints(" a:1 ,, b:2 "), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(SplitEndpoints("").empty());
}

TEST(GrpcTargetFor, OneEndpointIsKeptAsGiven) {
  EXPECT_EQ(GrpcTargetFor("core.example:50051").value(), "core.example:50051");
}

TEST(GrpcTargetFor, SeveralBecomeOneAddressListTarget) {
  EXPECT_EQ(GrpcTargetFor("127.0.0.1:1,127.0.0.2:2").value(), "ipv4:127.0.0.1:1,127.0.0.2:2");
  EXPECT_EQ(GrpcTargetFor("localhost:7,127.0.0.1:8").value().rfind("ipv", 0), 0u);
  EXPECT_EQ(GrpcTargetFor("[::1]:1,[::1]:2").value(), "ipv6:[::1]:1,[::1]:2");
}

TEST(GrpcTargetFor, RefusesWhatCannotWork) {
  EXPECT_FALSE(GrpcTargetFor("127.0.0.1,127.0.0.2:2").ok());   // no port
  EXPECT_FALSE(GrpcTargetFor("127.0.0.1:1,[::1]:2").ok());     // mixed families
  EXPECT_FALSE(GrpcTargetFor(",").ok());
}

}  // namespace
}  // namespace echelon
