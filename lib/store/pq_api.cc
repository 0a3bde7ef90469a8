#include "store/pq_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace meter::store {
namespace {

Status Load(PqApi* api) {
  // RTLD_LAZY: libpq pulls in about 20 libraries (OpenSSL, Kerberos, LDAP,
  // GnuTLS ...); binding every function of all of them up front cost 1.8 M
  // instructions (callgrind) per process, for the few a command calls. Every
  // libpq function meter uses is looked up below, so a missing one still
  // fails here, not mid-command.
  void* lib = dlopen("libpq.so.5", RTLD_LAZY | RTLD_LOCAL);
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
