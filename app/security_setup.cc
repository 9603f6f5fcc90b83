#include "app/security_setup.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace echelon {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", flag, " ", path, ": ", std::strerror(errno)));
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, " is not a PEM file"));
  }
  return text.str();
}

// Both servers would fail later with vaguer words: say it at start.
absl::Status CheckKeyBelongsToCertificate(const std::string& cert_pem, const std::string& key_pem,
                                          const Config& config) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())),
                                                     BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr),
                                                   X509_free);
  if (!cert) return absl::InvalidArgumentError(absl::StrCat("--tls-cert ", config.tls_cert, " holds no certificate"));
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())),
                                                    BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", config.tls_key, " holds no private key (an encrypted key is not supported)"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key ", config.tls_key,
                                                   ": the key does not belong to the certificate ", config.tls_cert));
  }
  return absl::OkStatus();
}

// Tokens are secrets: a file others can read deserves a warning.
void WarnIfReadableByOthers(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("tokens file {} is readable by other users (chmod 600 it)", path);
  }
}

}  // namespace

absl::StatusOr<SecuritySetup> LoadSecurity(const Config& config) {
  SecuritySetup setup;
  absl::StatusOr<std::shared_ptr<TokenRegistry>> tokens = TokenRegistry::Create(
      {.push_token = config.push_token, .view_token = config.view_token, .tokens_file = config.tokens_file});
  if (!tokens.ok()) return tokens.status();
  setup.tokens = *std::move(tokens);
  if (!config.tokens_file.empty()) WarnIfReadableByOthers(config.tokens_file);
  if (!config.tls_cert.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(config.tls_cert, "--tls-cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(config.tls_key, "--tls-key");
    if (!key.ok()) return key.status();
    if (absl::Status match = CheckKeyBelongsToCertificate(*cert, *key, config); !match.ok()) return match;
    setup.tls_cert_pem = *std::move(cert);
    setup.tls_key_pem = *std::move(key);
  }
  if (!config.tls_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(config.tls_ca, "--tls-ca");
    if (!ca.ok()) return ca.status();
    setup.tls_ca_pem = *std::move(ca);
  }
  return setup;
}

void ReloadTokens(TokenRegistry& tokens) {
  if (!tokens.has_file()) {
    spdlog::info("SIGHUP: no --tokens-file to reload");
    return;
  }
  absl::StatusOr<size_t> count = tokens.Reload();
  if (!count.ok()) {
    spdlog::error("SIGHUP: tokens not reloaded, the previous ones stay in force: {}",
                  std::string(count.status().message()));
    return;
  }
  spdlog::info("SIGHUP: tokens reloaded ({} tokens)", *count);
}

}  // namespace echelon
