#include "gateway/session_store.h"

#include "common/token_registry.h"

namespace echelon::gateway {

Session SessionStore::Create(std::string name, std::string authorization, absl::Time now) {
  Session session{NewRandomToken(), std::move(name), std::move(authorization), now + options_.ttl};
  absl::MutexLock lock(&mu_);
  MakeRoom(now);
  sessions_[session.id] = session;
  return session;
}

std::optional<Session> SessionStore::Find(const std::string& id, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.expires <= now) return std::nullopt;
  return it->second;
}

bool SessionStore::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return sessions_.erase(id) > 0;
}

size_t SessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void SessionStore::MakeRoom(absl::Time now) {
  if (sessions_.size() < options_.max_sessions) return;
  // Full: drop the expired ones; if none was, the one that expires first.
  absl::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (sessions_.size() < options_.max_sessions) return;
  auto oldest = sessions_.begin();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->second.expires < oldest->second.expires) oldest = it;
  }
  sessions_.erase(oldest);
}

}  // namespace echelon::gateway
