#include "core/ids.h"

#include <pthread.h>
#include <sys/random.h>

#include <cstdio>
#include <cstdlib>

#include "core/time.h"

namespace meter {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      std::perror("getrandom");
      std::abort();
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

namespace {

// The random bytes of ids, taken from the OS 4 KB at a time per thread
// instead of by one getrandom call per id: invoice generate makes two or
// three message ids per tenant, and a system call each was a hundredth of
// its run. A forked child starts with an empty pool, so parent and child
// never share bytes.
constexpr size_t kPoolSize = 4096;
thread_local std::string pool;
thread_local size_t pool_used = 0;

void EmptyPool() { pool_used = pool.size(); }

const unsigned char* TakeRandom(size_t n) {
  static const bool registered = pthread_atfork(nullptr, nullptr, EmptyPool) == 0;
  (void)registered;
  if (pool.size() - pool_used < n) {
    pool = RandomBytes(kPoolSize);
    pool_used = 0;
  }
  const auto* out = reinterpret_cast<const unsigned char*>(pool.data() + pool_used);
  pool_used += n;
  return out;
}

}  // namespace

std::string RandomId(std::string_view prefix) {
  static const char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  unsigned __int128 bits = static_cast<unsigned __int128>(static_cast<uint64_t>(Clock::Now()) & 0xffffffffffffULL) << 80;
  const unsigned char* rnd = TakeRandom(10);
  unsigned __int128 r = 0;
  for (int i = 0; i < 10; ++i) r = (r << 8) | rnd[i];
  bits |= r;
  std::string out(prefix);
  for (int i = 25; i >= 0; --i) out += kAlphabet[static_cast<int>((bits >> (i * 5)) & 31)];
  return out;
}

}  // namespace meter
