// SecuritySetup: what the security settings of Config turn into before the
// server starts (docs/security.md): the token registry shared by the core
// and the gateway, and the TLS material read from its files, with a clear
// error for a file that cannot be read. One place, so that the one-process
// server and a --core gateway are configured alike.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "app/config.h"
#include "common/token_registry.h"

namespace echelon {

struct SecuritySetup {
  std::shared_ptr<TokenRegistry> tokens;
  std::string tls_cert_pem;  // empty without --tls-cert
  std::string tls_key_pem;
  std::string tls_ca_pem;  // empty without --tls-ca
};

[[nodiscard]] absl::StatusOr<SecuritySetup> LoadSecurity(const Config& config);

// Re-reads --tokens-file (SIGHUP) and logs the outcome; a bad file keeps the
// tokens in force.
void ReloadTokens(TokenRegistry& tokens);

}  // namespace echelon
