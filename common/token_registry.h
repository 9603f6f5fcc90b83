// TokenRegistry: the bearer tokens a server accepts, each with a name and a
// role, shared by the core (gRPC metadata) and the gateway (HTTP headers,
// view logins). Sources: --push-token / --view-token (named "push-token" and
// "view-token") and a --tokens-file with one `name role token` per line
// (ParseTokensFile). Reload() re-reads the file (SIGHUP) and swaps the set in
// one step; a file with errors leaves the previous set in place.
//
// Roles: `push` may push, put worlds and view; `view` may view. A role needs a
// token only when at least one token of exactly that role is configured, as
// with the legacy flags: a server without tokens stays open, and one with
// only push tokens leaves viewing open. Tokens are
// compared in constant time and never logged; names are what logs and
// /metrics show.
//
//   auto tokens = TokenRegistry::Create({.tokens_file = "/etc/echelon/tokens"});
//   absl::StatusOr<std::string> who = (*tokens)->Authenticate(authorization, TokenRole::kPush);
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace echelon {

enum class TokenRole { kView, kPush };

std::string_view TokenRoleName(TokenRole role);

struct NamedToken {
  std::string name;
  TokenRole role = TokenRole::kView;
  std::string token;
};

// Parses a tokens file's text: one `name role token` per line, separated by
// spaces or tabs; blank lines and lines starting with '#' are skipped. Names
// are [A-Za-z0-9_.@-]{1,64}, roles `push` or `view`, tokens printable ASCII
// without spaces. Errors name the file and line, never the token.
[[nodiscard]] absl::StatusOr<std::vector<NamedToken>> ParseTokensFile(std::string_view text,
                                                                    std::string_view file_name);

// 256 random bits from OpenSSL's CSPRNG as 64 lowercase hex digits (internal
// tokens, session ids).
std::string NewRandomToken();

// What a request may present; the name of the token that matched, or
// kAnonymous when the role needs no token and none matched.
inline constexpr char kAnonymous[] = "anonymous";

struct TokenSources {
  std::string push_token;
  std::string view_token;
  std::string tokens_file;  // empty: none
};

class TokenRegistry {
 public:
  // InvalidArgument/NotFound with the file and line when the file is bad.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<TokenRegistry>> Create(TokenSources sources);

  // Re-reads the tokens file. On error the previous tokens stay in force.
  // Returns the number of tokens now configured.
  [[nodiscard]] absl::StatusOr<size_t> Reload();
  bool has_file() const { return !sources_.tokens_file.empty(); }

  // OK with the matching token's name (kAnonymous when `role` needs no token
  // and none matched); Unauthenticated otherwise. `authorization` is the whole
  // header value, "Bearer <token>".
  [[nodiscard]] absl::StatusOr<std::string> Authenticate(std::string_view authorization, TokenRole role) const;
  // Whether `role` needs a token at all.
  bool Required(TokenRole role) const;

  // A random token known only to this process, for the gateway's own
  // subscription to an in-process core. It survives reloads and does not
  // make a role required. Returns the header value "Bearer <token>".
  std::string AddInternal(std::string name, TokenRole role);

  // The first token of the configured ones with `role` (file order, then the
  // flags), for a gateway that must present one to a remote core; empty if
  // none.
  std::string FirstToken(TokenRole role) const;

 private:
  struct Set {
    std::vector<NamedToken> configured;
    std::vector<NamedToken> internal;
  };
  explicit TokenRegistry(TokenSources sources) : sources_(std::move(sources)) {}
  absl::StatusOr<std::vector<NamedToken>> Load() const;
  std::shared_ptr<const Set> current() const;

  const TokenSources sources_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Set> set_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon
