#include "store/pq_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace meter::store {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define METER_PQ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define METER_PQ_SANITIZED 1
#endif
#endif
#ifdef METER_PQ_SANITIZED
constexpr int kDeepBind = 0;
#else
constexpr int kDeepBind = RTLD_DEEPBIND;
#endif

Status Load(PqApi* api) {
  // libpq pulls in about 20 libraries (OpenSSL, Kerberos, LDAP, GnuTLS
  // ...), and binding their symbols is most of a short PostgreSQL command's
  // client time. RTLD_LAZY binds functions on first call instead of all up
  // front (1.8 M instructions less per process, callgrind), and
  // RTLD_DEEPBIND has their lookups search libpq's own group before meter's
  // (3.4 M less): they are C libraries that share nothing with meter but
  // libc, which is in that group too. Every libpq function meter uses is
  // looked up below, so a missing one still fails here, not mid-command.
  // Sanitizer runtimes refuse RTLD_DEEPBIND (their malloc must interpose).
  // The one thing DEEPBIND could split is libc data meter copy-relocates:
  // today only stderr (and __libc_single_threaded, read by C++ code only),
  // whose two copies hold the same FILE*. Referencing `environ` directly in
  // meter would give libpq's group a stale copy of it.
  int flags = RTLD_LAZY | RTLD_LOCAL | kDeepBind;
  void* lib = dlopen("libpq.so.5", flags);
  if (lib == nullptr)
    return Status::Unavailable("the PostgreSQL backend needs libpq: cannot load libpq.so.5 (install the libpq5 package)");
  // Never dlclose'd: connections live until the process ends.
  std::string missing;
#define METER_PQ_RESOLVE(name)                                                    \
  api->name = reinterpret_cast<decltype(api->name)>(dlsym(lib, #name));           \
  if (api->name == nullptr && missing.empty()) missing = #name;
  METER_PQ_FUNCTIONS(METER_PQ_RESOLVE)
#undef METER_PQ_RESOLVE
  if (!missing.empty()) return Status::Unavailable("the installed libpq lacks " + missing);
  return Status::OK();
}

}  // namespace

Result<const PqApi*> LoadPq() {
  static PqApi api;
  static Status status;
  static std::once_flag once;
  std::call_once(once, [] { status = Load(&api); });
  if (!status.ok()) return status;
  return &api;
}

}  // namespace meter::store
