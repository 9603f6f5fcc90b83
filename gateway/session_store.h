// SessionStore: browser logins of the view login (POST /session). A session
// is a random 256-bit id handed to the browser as an HttpOnly cookie; the
// token the browser logged in with stays here, in memory, with the session's
// expiry, and is what the gateway presents to the core for that browser. A
// session dies at its expiry, on logout, when the store is full (the one
// closest to its expiry goes), or when its token no longer authenticates
// (checked on every use, so a token removed by a reload ends its sessions).
//
//   SessionStore sessions({.ttl = absl::Hours(12)});
//   Session s = sessions.Create("alice", "Bearer t0k3n", absl::Now());
//   std::optional<Session> again = sessions.Find(s.id, absl::Now());
//
// Thread safety: all methods may be called from any HTTP worker.
#pragma once

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace echelon::gateway {

struct SessionStoreOptions {
  absl::Duration ttl = absl::Hours(12);
  size_t max_sessions = 4096;
};

struct Session {
  std::string id;             // 64 hex digits, the cookie's value
  std::string name;           // the token's name, for logs
  std::string authorization;  // "Bearer <token>", never leaves the server
  absl::Time expires;
};

class SessionStore {
 public:
  explicit SessionStore(SessionStoreOptions options) : options_(options) {}

  Session Create(std::string name, std::string authorization, absl::Time now);
  // The live session with this id; nullopt when unknown or expired.
  std::optional<Session> Find(const std::string& id, absl::Time now) const;
  // True when there was such a session.
  bool Remove(const std::string& id);
  size_t size() const;

  absl::Duration ttl() const { return options_.ttl; }

 private:
  void MakeRoom(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SessionStoreOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon::gateway
