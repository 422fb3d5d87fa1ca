#include <catch2/catch.hpp>

#include "proxy/file_limit.h"

using holdfast::inherited_file_limit_is_costly;
using holdfast::kLargeFileLimit;

TEST_CASE("file limit: a large inherited limit is flagged, a configured one never") {
  CHECK(inherited_file_limit_is_costly(0, 1048576));
  CHECK(inherited_file_limit_is_costly(0, kLargeFileLimit + 1));
  CHECK_FALSE(inherited_file_limit_is_costly(0, kLargeFileLimit));
  CHECK_FALSE(inherited_file_limit_is_costly(0, 20000));
  CHECK_FALSE(inherited_file_limit_is_costly(1048576, 1048576));  // the operator chose it
  CHECK_FALSE(inherited_file_limit_is_costly(16384, 16384));
}
