// Content ids (ingest/content_id.h) for records that arrive without an id.
#include <doctest/doctest.h>

#include "ingest/content_id.h"

namespace meter::ingest {
namespace {

TEST_CASE("ingest.content_id_is_sha256_of_context_and_content") {
  // The id is SHA-256 of the record's text: a known vector.
  CHECK(ContentId("", "abc") == "sha256:ba7816bf8f01cfea414140de5dae2223");
  CHECK(ContentId("h", "abc") != ContentId("", "abc"));
  // With a context (a CSV header): SHA-256 of the context, a newline and the record.
  CHECK(ContentId("h", "abc") == "sha256:91015ec09f7dbc5a83c21368d67d5aee");
}

}  // namespace
}  // namespace meter::ingest
