#include "protocol/http_answer_codec.h"

#include <gtest/gtest.h>

namespace echelon::json {
namespace {

TEST(PushAckJsonTest, RendersAndReadsBack) {
  replay::v1::PushAck ack;
  ack.set_replay_id("r\"1");
  ack.set_chunk_index(3);
  const std::string fresh = RenderPushAckJson(ack, 2);
  EXPECT_EQ(fresh, R"({"status":"ok","replay_id":"r\"1","chunk_index":3,"clients_notified":2})");
  EXPECT_FALSE(PushAckIsDuplicate(fresh));

  ack.set_duplicate(true);
  const std::string resent = RenderPushAckJson(ack, 2);
  EXPECT_EQ(resent, R"({"status":"ok","replay_id":"r\"1","chunk_index":3,"clients_notified":0,"duplicate":true})");
  EXPECT_TRUE(PushAckIsDuplicate(resent));
}

TEST(PushAckJsonTest, AnythingElseIsNotADuplicate) {
  for (const char* body : {"", "not json", "[]", R"({"duplicate":"yes"})", R"({"duplicate":1})", "{\"duplicate\":tr"}) {
    EXPECT_FALSE(PushAckIsDuplicate(body)) << body;
  }
}

TEST(ErrorJsonTest, RendersAndReadsBack) {
  const std::string body = RenderErrorJson("bad \"thing\"\n");
  EXPECT_EQ(body, R"({"detail":"bad \"thing\"\n"})");
  EXPECT_EQ(ErrorDetail(body), "bad \"thing\"\n");
}

TEST(ErrorJsonTest, NoDetailWithoutAStringDetail) {
  for (const char* body : {"", "<html>502</html>", "[]", R"({"detail":[1]})", R"({"message":"x"})"}) {
    EXPECT_EQ(ErrorDetail(body), std::nullopt) << body;
  }
}

}  // namespace
}  // namespace echelon::json
