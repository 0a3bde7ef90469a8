#include "webhooks/curl_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace meter::webhooks {
namespace {

// Resolves `name` into `slot`; returns false (and keeps the first missing
// name) when the library lacks it.
template <typename Fn>
bool Resolve(void* library, const char* name, Fn* slot, std::string* missing) {
  *slot = reinterpret_cast<Fn>(dlsym(library, name));
  if (*slot == nullptr && missing->empty()) *missing = name;
  return *slot != nullptr;
}

Status ResolveAll(void* lib, CurlApi* api) {
  std::string missing;
  Resolve(lib, "curl_global_init", &api->global_init, &missing);
  Resolve(lib, "curl_easy_init", &api->easy_init, &missing);
  Resolve(lib, "curl_easy_cleanup", &api->easy_cleanup, &missing);
  Resolve(lib, "curl_easy_setopt", &api->easy_setopt, &missing);
  Resolve(lib, "curl_easy_getinfo", &api->easy_getinfo, &missing);
  Resolve(lib, "curl_easy_strerror", &api->easy_strerror, &missing);
  Resolve(lib, "curl_slist_append", &api->slist_append, &missing);
  Resolve(lib, "curl_slist_free_all", &api->slist_free_all, &missing);
  Resolve(lib, "curl_getdate", &api->getdate, &missing);
  Resolve(lib, "curl_free", &api->free, &missing);
  Resolve(lib, "curl_url", &api->url, &missing);
  Resolve(lib, "curl_url_cleanup", &api->url_cleanup, &missing);
  Resolve(lib, "curl_url_set", &api->url_set, &missing);
  Resolve(lib, "curl_url_get", &api->url_get, &missing);
  Resolve(lib, "curl_url_strerror", &api->url_strerror, &missing);
  Resolve(lib, "curl_multi_init", &api->multi_init, &missing);
  Resolve(lib, "curl_multi_cleanup", &api->multi_cleanup, &missing);
  Resolve(lib, "curl_multi_add_handle", &api->multi_add_handle, &missing);
  Resolve(lib, "curl_multi_remove_handle", &api->multi_remove_handle, &missing);
  Resolve(lib, "curl_multi_perform", &api->multi_perform, &missing);
  Resolve(lib, "curl_multi_poll", &api->multi_poll, &missing);
  Resolve(lib, "curl_multi_info_read", &api->multi_info_read, &missing);
  if (!missing.empty()) {
    return Status::Unavailable("the installed libcurl lacks " + missing + " (libcurl 7.83 or newer is needed)");
  }
  return Status::OK();
}

Status Load(CurlApi* api) {
  void* lib = nullptr;
  for (const char* name : {"libcurl.so.4", "libcurl-gnutls.so.4"}) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
  }
  if (lib == nullptr) {
    return Status::Unavailable("webhook delivery needs libcurl: cannot load libcurl.so.4 (install the libcurl4 package)");
  }
  // Never dlclose'd: handles and global state live until the process ends.
  METER_RETURN_IF_ERROR(ResolveAll(lib, api));
  if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return Status::Unavailable("libcurl initialisation failed");
  }
  return Status::OK();
}

}  // namespace

Result<const CurlApi*> LoadCurl() {
  static std::once_flag once;
  static CurlApi api;
  static Status loaded;
  std::call_once(once, [] { loaded = Load(&api); });
  if (!loaded.ok()) return loaded;
  return &api;
}

}  // namespace meter::webhooks
