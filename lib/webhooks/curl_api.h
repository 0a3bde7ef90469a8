// libcurl, loaded when first needed instead of linked into the binary.
//
// Linking libcurl pulls some thirty shared libraries (TLS, Kerberos, LDAP,
// IDN, ...) into every `meter` process; their loading and initialisation
// cost ten-odd milliseconds, which is twice the budget of a whole
// `meter quota check` (SPEC section 9). Only webhook delivery and webhook URL
// checks need libcurl, so only they load it, once per process.
#pragma once

#include <curl/curl.h>

#include "core/status.h"

namespace meter::webhooks {

// The libcurl entry points meter uses, resolved from the loaded library.
// Same names as libcurl's without the "curl_" prefix.
struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_getdate) getdate;
  decltype(&::curl_free) free;
  decltype(&::curl_url) url;
  decltype(&::curl_url_cleanup) url_cleanup;
  decltype(&::curl_url_set) url_set;
  decltype(&::curl_url_get) url_get;
  decltype(&::curl_url_strerror) url_strerror;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_info_read) multi_info_read;
};

// Loads libcurl (libcurl.so.4, else libcurl-gnutls.so.4), resolves every
// entry point and runs curl_global_init, all once per process and
// thread-safely. Returns the same table on every later call, or Unavailable
// naming what is missing (install the libcurl4 package) when loading failed.
Result<const CurlApi*> LoadCurl();

}  // namespace meter::webhooks
