#include "store/pq_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace meter::store {
namespace {

Status Load(PqApi* api) {
  void* lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
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
