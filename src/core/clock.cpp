#include "core/clock.hpp"

namespace kelu {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<Microseconds>(std::chrono::system_clock::now());
}

}  // namespace kelu
