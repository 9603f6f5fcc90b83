#include "common/token_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace echelon {
namespace {

std::string TempFile(const std::string& text) {
  char path[] = "/tmp/echelon-tokens-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ParseTokensFileTest, ReadsNamesRolesAndTokensSkippingCommentsAndBlankLines) {
  auto tokens = ParseTokensFile("# who may do what\n\nalice push a1ice-token\n  bob\tview  b0b \r\n", "t");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].name, "alice");
  EXPECT_EQ((*tokens)[0].role, TokenRole::kPush);
  EXPECT_EQ((*tokens)[0].token, "a1ice-token");
  EXPECT_EQ((*tokens)[1].name, "bob");
  EXPECT_EQ((*tokens)[1].role, TokenRole::kView);
  EXPECT_EQ((*tokens)[1].token, "b0b");
}

TEST(ParseTokensFileTest, BadLinesNameFileAndLineButNeverTheToken) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"alice push\n", "tokens.txt:1: expected `name role token` (3 fields), got 2"},
      {"# c\nalice push s3cret extra\n", "tokens.txt:2: expected `name role token` (3 fields), got 4"},
      {"alice admin s3cret\n", "tokens.txt:1: unknown role 'admin' of 'alice' (use push or view)"},
      {"al/ice push s3cret\n", "tokens.txt:1: bad name 'al/ice'"},
      {"alice push s3cret\nalice view other\n", "the name 'alice' is used twice"},
      {"alice push s3cret\nbob view s3cret\n", "the token of 'bob' is also another name's token"},
      {"alice push s3cr\x01t\n", "tokens.txt:1: the token of 'alice' holds a byte that is not printable ASCII"},
      {"anonymous view s3cret\n", "reserved"},
  };
  for (const Case& c : cases) {
    auto tokens = ParseTokensFile(c.text, "tokens.txt");
    ASSERT_FALSE(tokens.ok()) << c.text;
    EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(tokens.status().message().find(c.expected), absl::string_view::npos) << tokens.status();
    EXPECT_EQ(tokens.status().message().find("s3cret"), absl::string_view::npos) << tokens.status();
  }
}

TEST(TokenRegistryTest, WithoutTokensEverythingIsOpenAndAnonymous) {
  auto tokens = TokenRegistry::Create({});
  ASSERT_TRUE(tokens.ok());
  EXPECT_FALSE((*tokens)->Required(TokenRole::kPush));
  EXPECT_FALSE((*tokens)->Required(TokenRole::kView));
  EXPECT_EQ(*(*tokens)->Authenticate("", TokenRole::kPush), kAnonymous);
  EXPECT_EQ(*(*tokens)->Authenticate("Bearer whatever", TokenRole::kView), kAnonymous);
}

TEST(TokenRegistryTest, PushTokensAlsoViewAndViewTokensDoNotPush) {
  const std::string file = TempFile("alice push al1ce\nbob view b0b\n");
  auto tokens = TokenRegistry::Create({.tokens_file = file});
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  const TokenRegistry& r = **tokens;
  EXPECT_TRUE(r.Required(TokenRole::kPush));
  EXPECT_TRUE(r.Required(TokenRole::kView));
  EXPECT_EQ(*r.Authenticate("Bearer al1ce", TokenRole::kPush), "alice");
  EXPECT_EQ(*r.Authenticate("Bearer al1ce", TokenRole::kView), "alice");
  EXPECT_EQ(*r.Authenticate("Bearer b0b", TokenRole::kView), "bob");
  EXPECT_EQ(r.Authenticate("Bearer b0b", TokenRole::kPush).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(r.Authenticate("Bearer al1c", TokenRole::kView).ok());
  EXPECT_FALSE(r.Authenticate("al1ce", TokenRole::kView).ok());
  EXPECT_FALSE(r.Authenticate("", TokenRole::kView).ok());
  std::remove(file.c_str());
}

TEST(TokenRegistryTest, OnlyPushTokensLeaveViewingOpenAsTheLegacyFlagsDid) {
  auto tokens = TokenRegistry::Create({.push_token = "p"});
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE((*tokens)->Required(TokenRole::kPush));
  EXPECT_FALSE((*tokens)->Required(TokenRole::kView));
  EXPECT_EQ(*(*tokens)->Authenticate("Bearer p", TokenRole::kPush), "push-token");
  // The same token for both legacy flags is one push token.
  auto same = TokenRegistry::Create({.push_token = "t", .view_token = "t"});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(*(*same)->Authenticate("Bearer t", TokenRole::kView), "push-token");
}

TEST(TokenRegistryTest, ReloadSwapsTheTokensAndABadFileKeepsThePreviousOnes) {
  const std::string file = TempFile("alice push one\n");
  auto created = TokenRegistry::Create({.tokens_file = file});
  ASSERT_TRUE(created.ok());
  TokenRegistry& r = **created;
  const std::string internal = r.AddInternal("gateway", TokenRole::kView);
  EXPECT_EQ(*r.Authenticate(internal, TokenRole::kView), "gateway");

  std::ofstream(file) << "alice push two\ncarol view three\n";
  ASSERT_EQ(*r.Reload(), 2u);
  EXPECT_FALSE(r.Authenticate("Bearer one", TokenRole::kPush).ok());
  EXPECT_EQ(*r.Authenticate("Bearer two", TokenRole::kPush), "alice");
  EXPECT_EQ(*r.Authenticate("Bearer three", TokenRole::kView), "carol");
  EXPECT_EQ(*r.Authenticate(internal, TokenRole::kView), "gateway");  // survives reloads

  std::ofstream(file) << "alice push\n";
  absl::StatusOr<size_t> bad = r.Reload();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":1:"), absl::string_view::npos);
  EXPECT_EQ(*r.Authenticate("Bearer two", TokenRole::kPush), "alice");
  std::remove(file.c_str());
}

TEST(TokenRegistryTest, InternalTokensDoNotMakeARoleRequired) {
  auto tokens = TokenRegistry::Create({});
  ASSERT_TRUE(tokens.ok());
  (*tokens)->AddInternal("gateway", TokenRole::kView);
  EXPECT_FALSE((*tokens)->Required(TokenRole::kView));
  EXPECT_EQ(*(*tokens)->Authenticate("", TokenRole::kView), kAnonymous);
}

TEST(TokenRegistryTest, AMissingFileIsAClearError) {
  auto tokens = TokenRegistry::Create({.tokens_file = "/nonexistent/tokens"});
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(tokens.status().message().find("/nonexistent/tokens"), absl::string_view::npos);
}

TEST(TokenRegistryTest, FirstTokenFollowsFileOrder) {
  auto tokens = TokenRegistry::Create({.push_token = "p", .view_token = "v"});
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)->FirstToken(TokenRole::kView), "v");
  EXPECT_EQ((*tokens)->FirstToken(TokenRole::kPush), "p");
}

}  // namespace
}  // namespace echelon
