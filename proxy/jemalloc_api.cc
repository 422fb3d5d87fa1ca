#include "proxy/jemalloc_api.h"

#include <dlfcn.h>

namespace holdfast::jemalloc {

bool is_malloc() {
  if (mallocx == nullptr) return false;
  // The library that defines mallocx must be the one that `malloc` resolves to.
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(mallocx), &info) == 0 || info.dli_fname == nullptr)
    return false;
  void* library = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  if (library == nullptr) return false;
  const bool same = dlsym(library, "malloc") == dlsym(RTLD_DEFAULT, "malloc");
  dlclose(library);
  return same;
}

}  // namespace holdfast::jemalloc
