#include "ingest/content_id.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace meter::ingest {

std::string ContentId(std::string_view context, std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  // Failure here means OpenSSL itself is broken; there is no sensible id.
  if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) ||
      (!context.empty() && (!EVP_DigestUpdate(ctx, context.data(), context.size()) ||
                            !EVP_DigestUpdate(ctx, "\n", 1))) ||
      !EVP_DigestUpdate(ctx, content.data(), content.size()) || !EVP_DigestFinal_ex(ctx, digest, &len))
    std::abort();
  EVP_MD_CTX_free(ctx);
  static const char kHex[] = "0123456789abcdef";
  std::string id = "sha256:";
  for (int i = 0; i < 16; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 15];
  }
  return id;
}

}  // namespace meter::ingest
