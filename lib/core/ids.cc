#include "core/ids.h"

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

std::string RandomId(std::string_view prefix) {
  static const char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  unsigned __int128 bits = static_cast<unsigned __int128>(static_cast<uint64_t>(Clock::Now()) & 0xffffffffffffULL) << 80;
  std::string rnd = RandomBytes(10);
  unsigned __int128 r = 0;
  for (unsigned char c : rnd) r = (r << 8) | c;
  bits |= r;
  std::string out(prefix);
  for (int i = 25; i >= 0; --i) out += kAlphabet[static_cast<int>((bits >> (i * 5)) & 31)];
  return out;
}

}  // namespace meter
