#include "common/token_registry.h"

#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/bearer_token.h"

namespace echelon {
namespace {

constexpr size_t kMaxNameLength = 64;

// Debian's abseil has its own string_view type.
absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != '@') {
      return false;
    }
  }
  return true;
}

bool IsValidToken(std::string_view token) {
  return !token.empty() && IsValidMetadataValue(token) && token.find(' ') == std::string_view::npos;
}

// Whether a token of `have` may do what `want` needs: push also views.
bool Grants(TokenRole have, TokenRole want) { return have == want || have == TokenRole::kPush; }

// Rejects a second use of a name or of a token across all sources.
absl::Status CheckUnique(const std::vector<NamedToken>& tokens, absl::string_view where) {
  absl::flat_hash_set<absl::string_view> names;
  absl::flat_hash_set<absl::string_view> values;
  for (const NamedToken& t : tokens) {
    if (!names.insert(t.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the name '", t.name, "' is used twice"));
    }
    if (!values.insert(t.token).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the token of '", t.name, "' is also another name's token"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string NewRandomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy: nothing safe to do
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string_view TokenRoleName(TokenRole role) { return role == TokenRole::kPush ? "push" : "view"; }

absl::StatusOr<std::vector<NamedToken>> ParseTokensFile(std::string_view text_in, std::string_view file_name_in) {
  const absl::string_view text = A(text_in);
  const absl::string_view file_name = A(file_name_in);
  std::vector<NamedToken> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const std::string where = absl::StrCat(file_name, ":", line_number);
    std::vector<absl::string_view> fields = absl::StrSplit(trimmed, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected `name role token` (3 fields), got ", fields.size()));
    }
    NamedToken token;
    if (!IsValidName(fields[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": bad name '", absl::CHexEscape(fields[0].substr(0, kMaxNameLength)),
          "' (1-64 of A-Z a-z 0-9 _ - . @)"));
    }
    if (fields[0] == kAnonymous) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": '", kAnonymous, "' is reserved for callers without a token"));
    }
    token.name = std::string(fields[0]);
    if (fields[1] == "push") {
      token.role = TokenRole::kPush;
    } else if (fields[1] == "view") {
      token.role = TokenRole::kView;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown role '", absl::CHexEscape(fields[1]),
                                                     "' of '", token.name, "' (use push or view)"));
    }
    if (!IsValidToken(std::string_view(fields[2].data(), fields[2].size()))) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the token of '", token.name, "' holds a byte that is not printable ASCII"));
    }
    token.token = std::string(fields[2]);
    tokens.push_back(std::move(token));
  }
  if (absl::Status unique = CheckUnique(tokens, file_name); !unique.ok()) return unique;
  return tokens;
}

absl::StatusOr<std::shared_ptr<TokenRegistry>> TokenRegistry::Create(TokenSources sources) {
  std::shared_ptr<TokenRegistry> registry(new TokenRegistry(std::move(sources)));
  absl::StatusOr<std::vector<NamedToken>> tokens = registry->Load();
  if (!tokens.ok()) return tokens.status();
  auto set = std::make_shared<Set>();
  set->configured = *std::move(tokens);
  absl::MutexLock lock(&registry->mu_);
  registry->set_ = std::move(set);
  return registry;
}

absl::StatusOr<std::vector<NamedToken>> TokenRegistry::Load() const {
  std::vector<NamedToken> tokens;
  if (!sources_.tokens_file.empty()) {
    std::ifstream file(sources_.tokens_file, std::ios::binary);
    if (!file) {
      return absl::NotFoundError(
          absl::StrCat("cannot read tokens file ", sources_.tokens_file, ": ", std::strerror(errno)));
    }
    std::ostringstream text;
    text << file.rdbuf();
    absl::StatusOr<std::vector<NamedToken>> parsed = ParseTokensFile(text.str(), sources_.tokens_file);
    if (!parsed.ok()) return parsed.status();
    tokens = *std::move(parsed);
  }
  if (!sources_.push_token.empty()) tokens.push_back({"push-token", TokenRole::kPush, sources_.push_token});
  // The same token for both flags is a push token (push also views).
  if (!sources_.view_token.empty() && sources_.view_token != sources_.push_token) tokens.push_back({"view-token", TokenRole::kView, sources_.view_token});
  if (absl::Status unique = CheckUnique(tokens, "tokens (file and flags)"); !unique.ok()) return unique;
  return tokens;
}

absl::StatusOr<size_t> TokenRegistry::Reload() {
  absl::StatusOr<std::vector<NamedToken>> tokens = Load();
  if (!tokens.ok()) return tokens.status();
  const size_t count = tokens->size();
  absl::MutexLock lock(&mu_);
  auto set = std::make_shared<Set>();
  set->configured = *std::move(tokens);
  set->internal = set_->internal;
  set_ = std::move(set);
  return count;
}

std::shared_ptr<const TokenRegistry::Set> TokenRegistry::current() const {
  absl::MutexLock lock(&mu_);
  return set_;
}

bool TokenRegistry::Required(TokenRole role) const {
  const std::shared_ptr<const Set> set = current();
  for (const NamedToken& t : set->configured) {
    if (t.role == role) return true;
  }
  return false;
}

absl::StatusOr<std::string> TokenRegistry::Authenticate(std::string_view authorization, TokenRole role) const {
  const std::shared_ptr<const Set> set = current();
  // Every token is compared, matching or not, so that the time taken does not
  // say which one (or how many) came close.
  const NamedToken* match = nullptr;
  bool required = false;
  for (const auto* tokens : {&set->configured, &set->internal}) {
    for (const NamedToken& t : *tokens) {
      if (!Grants(t.role, role)) continue;
      if (tokens == &set->configured && t.role == role) required = true;
      if (BearerMatches(authorization, t.token) && match == nullptr) match = &t;
    }
  }
  if (match != nullptr) return match->name;
  if (!required) return std::string(kAnonymous);
  return absl::UnauthenticatedError(absl::StrCat(role == TokenRole::kPush ? "pushing" : "viewing",
                                                 " needs 'Authorization: Bearer <", A(TokenRoleName(role)),
                                                 " token>'"));
}

std::string TokenRegistry::AddInternal(std::string name, TokenRole role) {
  NamedToken token{std::move(name), role, NewRandomToken()};
  std::string header = absl::StrCat("Bearer ", token.token);
  absl::MutexLock lock(&mu_);
  auto set = std::make_shared<Set>(*set_);
  set->internal.push_back(std::move(token));
  set_ = std::move(set);
  return header;
}

std::string TokenRegistry::FirstToken(TokenRole role) const {
  const std::shared_ptr<const Set> set = current();
  for (const NamedToken& t : set->configured) {
    if (t.role == role) return t.token;
  }
  return "";
}

}  // namespace echelon
