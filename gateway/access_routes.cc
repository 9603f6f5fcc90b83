// Access control of the gateway, in one place (docs/security.md):
// - the request gate: Host (--allowed-hosts) and Origin checks before any
//   route runs, and the security headers after every route (nosniff, a
//   Content-Security-Policy, no framing);
// - Authorize, the one auth check every route calls: a bearer header or a
//   session cookie, wrong tokens counted per address (429 after too many);
// - the view login: GET/POST/DELETE /session.
#include <simdjson.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/bearer_token.h"
#include "common/json_writer.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/request_body.h"
#include "gateway/security_headers.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace {

constexpr char kSessionCookie[] = "echelon_session";
// A login body is {"token": "..."}: a few hundred bytes at most.
constexpr BodyLimits kLoginBodyLimits{4096, 4096};

GateRequest GateRequestOf(const httplib::Request& req) {
  // The strings live in req.headers, which outlive the check.
  auto header = [&req](const char* name) -> std::string_view {
    auto it = req.headers.find(name);
    return it == req.headers.end() ? std::string_view() : std::string_view(it->second);
  };
  return GateRequest{req.method, header("Host"), header("Origin"), header("X-Forwarded-Proto"),
                     header("X-Forwarded-Host")};
}

// The value of our session cookie in the request's Cookie headers; "" if none.
std::string SessionCookie(const httplib::Request& req) {
  const size_t count = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < count; ++i) {
    for (absl::string_view cookie : absl::StrSplit(req.get_header_value("Cookie", i), ';')) {
      cookie = absl::StripAsciiWhitespace(cookie);
      const size_t eq = cookie.find('=');
      if (eq != absl::string_view::npos && cookie.substr(0, eq) == kSessionCookie) {
        return std::string(cookie.substr(eq + 1));
      }
    }
  }
  return "";
}

void TooManyFailures(httplib::Response& res, absl::Duration wait) {
  const int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))));
  res.set_header("Retry-After", std::to_string(seconds));
  SetError(res, 429, absl::StrCat("too many wrong tokens from this address; try again in ", seconds, " s"));
}

void Unauthenticated(httplib::Response& res, std::string_view detail) {
  res.set_header("WWW-Authenticate", "Bearer");
  SetError(res, 401, detail);
}

// {"token": "..."} -> the token; InvalidArgument otherwise.
absl::StatusOr<std::string> LoginToken(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root)) return absl::InvalidArgumentError("body must be JSON: {\"token\": \"...\"}");
  std::string_view token;
  if (root["token"].get_string().get(token)) {
    return absl::InvalidArgumentError("field 'token' is required and must be a string");
  }
  return std::string(token);
}

}  // namespace

void Gateway::InstallRequestGate() {
  http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::optional<Refusal> refusal = CheckRequest(GateRequestOf(req), options_.gate);
    if (!refusal) return httplib::Server::HandlerResponse::Unhandled;
    spdlog::warn("{} {} from {} refused: {}", req.method, req.path, ClientAddress(req), refusal->detail);
    SetError(res, refusal->status, refusal->detail);
    // The body, if any, is left unread: the connection cannot be reused.
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  http_.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "same-origin");
    // The viewer's pages set their own policy (viewer_routes.cc).
    if (!res.has_header("Content-Security-Policy")) {
      res.set_header("Content-Security-Policy", kApiContentSecurityPolicy);
    }
  });
}

std::string Gateway::ClientAddress(const httplib::Request& req) const {
  if (options_.gate.trust_proxy) {
    const std::string forwarded = req.get_header_value("X-Forwarded-For");
    if (!forwarded.empty()) {
      // The proxy appends the address it saw; earlier entries are the client's claims.
      const std::vector<absl::string_view> hops = absl::StrSplit(forwarded, ',');
      return std::string(absl::StripAsciiWhitespace(hops.back()));
    }
  }
  return req.remote_addr;
}

std::optional<Session> Gateway::FindSession(const httplib::Request& req) const {
  const std::string id = SessionCookie(req);
  if (id.empty()) return std::nullopt;
  return sessions_.Find(id, absl::Now());
}

std::string Gateway::CallerAuthorization(const httplib::Request& req) const {
  std::string header = req.get_header_value("Authorization");
  if (!header.empty()) return header;
  std::optional<Session> session = FindSession(req);
  return session ? session->authorization : std::string();
}

std::optional<Caller> Gateway::Authorize(const httplib::Request& req, httplib::Response& res, TokenRole role) {
  const absl::Time now = absl::Now();
  const std::string header = req.get_header_value("Authorization");
  if (!header.empty()) {
    const std::string address = ClientAddress(req);
    if (std::optional<absl::Duration> wait = auth_failures_.Blocked(address, now)) {
      TooManyFailures(res, *wait);
      return std::nullopt;
    }
    absl::StatusOr<std::string> name = tokens_->Authenticate(header, role);
    if (name.ok()) return Caller{*std::move(name), header, false};
    auth_failures_.RecordFailure(address, now);
    spdlog::warn("{} {} from {}: wrong bearer token", req.method, req.path, address);
    Unauthenticated(res, absl::StrCat("wrong bearer token: ", name.status().message()));
    return std::nullopt;
  }
  if (std::optional<Session> session = FindSession(req)) {
    // Checked again on every use: a token removed by a reload ends its sessions.
    if (tokens_->Authenticate(session->authorization, role).ok()) {
      return Caller{session->name, session->authorization, true};
    }
  }
  if (!tokens_->Required(role)) return Caller{kAnonymous, "", false};
  Unauthenticated(res, absl::StrCat(role == TokenRole::kPush ? "pushing" : "viewing",
                                    " needs 'Authorization: Bearer <token>' or a login (POST /session)"));
  return std::nullopt;
}

void Gateway::RegisterSessionRoutes() {
  // Tells the viewer whether it must ask for a token (README, "View login").
  http_.Get("/session", [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<Session> session = FindSession(req);
    const std::string header = req.get_header_value("Authorization");
    absl::StatusOr<std::string> name = absl::UnauthenticatedError("");
    std::string via;
    if (!header.empty()) {
      name = tokens_->Authenticate(header, TokenRole::kView);
      via = "bearer";
    } else if (session) {
      name = tokens_->Authenticate(session->authorization, TokenRole::kView);
      if (name.ok()) name = session->name;
      via = "cookie";
    } else {
      name = tokens_->Authenticate("", TokenRole::kView);
    }
    std::string body;
    JsonWriter w(body);
    w.BeginObject();
    w.Key("login_required");
    w.Bool(tokens_->Required(TokenRole::kView));
    w.Key("authenticated");
    w.Bool(name.ok());
    w.Key("name");
    name.ok() ? w.String(*name) : w.Null();
    w.Key("via");
    name.ok() && !via.empty() ? w.String(via) : w.Null();
    w.Key("expires_in_s");
    if (name.ok() && via == "cookie") {
      w.Int(std::max<int64_t>(0, absl::ToInt64Seconds(session->expires - absl::Now())));
    } else {
      w.Null();
    }
    w.EndObject();
    res.set_header("Cache-Control", "no-store");
    SetJson(res, std::move(body));
  });

  http_.Post("/session", [this](const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) {
    const absl::Time now = absl::Now();
    const std::string address = ClientAddress(req);
    if (std::optional<absl::Duration> wait = auth_failures_.Blocked(address, now)) return TooManyFailures(res, *wait);
    absl::StatusOr<std::string> body = ReadBody(req, reader, kLoginBodyLimits);
    if (!body.ok()) return SetError(res, body.status());
    absl::StatusOr<std::string> token = LoginToken(*body);
    if (!token.ok()) return SetError(res, token.status());
    const std::string authorization = absl::StrCat("Bearer ", *token);
    absl::StatusOr<std::string> name = tokens_->Authenticate(authorization, TokenRole::kView);
    if (name.ok() && *name == kAnonymous) {
      // Viewing is open: nothing to log in to.
      return SetJson(res, R"({"status":"ok","login_required":false})");
    }
    if (!name.ok() || !IsValidMetadataValue(*token)) {
      auth_failures_.RecordFailure(address, now);
      spdlog::warn("view login from {} refused: wrong token", address);
      return SetError(res, 401, "wrong token");
    }
    const Session session = sessions_.Create(*name, authorization, now);
    const int64_t ttl_s = absl::ToInt64Seconds(sessions_.ttl());
    const bool secure = ClientScheme(GateRequestOf(req), options_.gate) == "https";
    res.set_header("Set-Cookie", absl::StrCat(kSessionCookie, "=", session.id, "; Path=/; Max-Age=", ttl_s,
                                              "; HttpOnly; SameSite=Strict", secure ? "; Secure" : ""));
    res.set_header("Cache-Control", "no-store");
    spdlog::info("view login as {} from {} ({} sessions)", session.name, address, sessions_.size());
    std::string answer;
    JsonWriter w(answer);
    w.BeginObject();
    w.Key("status");
    w.String("ok");
    w.Key("name");
    w.String(session.name);
    w.Key("expires_in_s");
    w.Int(ttl_s);
    w.EndObject();
    SetJson(res, std::move(answer));
  });

  http_.Delete("/session", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = SessionCookie(req);
    if (!id.empty() && sessions_.Remove(id)) spdlog::info("view logout from {}", ClientAddress(req));
    const bool secure = ClientScheme(GateRequestOf(req), options_.gate) == "https";
    res.set_header("Set-Cookie", absl::StrCat(kSessionCookie, "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
                                              secure ? "; Secure" : ""));
    SetJson(res, R"({"status":"ok"})");
  });
}

}  // namespace echelon::gateway
