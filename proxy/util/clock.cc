#include "proxy/util/clock.h"

#include <cstdint>
#include <limits>

namespace holdfast::util {
namespace {

// "YYYY-MM-DDTHH:MM:SS" for one second.
struct SecondText {
  int64_t second = std::numeric_limits<int64_t>::min();
  char text[19];
};

void put_digits(char* p, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

void format_second(SecondText& cache, int64_t second) {
  using namespace std::chrono;
  const sys_seconds t{seconds(second)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  int year = static_cast<int>(ymd.year());
  year = year < 0 ? 0 : year > 9999 ? 9999 : year;  // a nanosecond clock stays within 1677..2262
  char* p = cache.text;
  put_digits(p, static_cast<unsigned>(year), 4);
  p[4] = '-';
  put_digits(p + 5, static_cast<unsigned>(ymd.month()), 2);
  p[7] = '-';
  put_digits(p + 8, static_cast<unsigned>(ymd.day()), 2);
  p[10] = 'T';
  put_digits(p + 11, static_cast<unsigned>(hms.hours().count()), 2);
  p[13] = ':';
  put_digits(p + 14, static_cast<unsigned>(hms.minutes().count()), 2);
  p[16] = ':';
  put_digits(p + 17, static_cast<unsigned>(hms.seconds().count()), 2);
  cache.second = second;
}

}  // namespace

void append_rfc3339_utc(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  thread_local SecondText cache;
  const int64_t ms = floor<milliseconds>(t.time_since_epoch()).count();
  int64_t second = ms / 1000;
  int64_t milli = ms % 1000;
  if (milli < 0) {  // before 1970: round towards the past
    milli += 1000;
    --second;
  }
  if (second != cache.second) format_second(cache, second);
  char tail[5] = {'.', 0, 0, 0, 'Z'};
  put_digits(tail + 1, static_cast<unsigned>(milli), 3);
  out.append(cache.text, sizeof cache.text);
  out.append(tail, sizeof tail);
}

}  // namespace holdfast::util
