// Process-wide state shared by every thread of the process: the resource tracker's pipe.
//
// Worker threads each load their own copy of the JS modules, but this library is loaded once per
// process, so the tracker's write end lives here and every thread writes to the same tracker.
#include "common.h"

#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace multiproc {

namespace {

std::mutex trackerMutex;
int trackerFd = -1;

// getTrackerFd() -> fd or -1
napi_value GetTrackerFd(napi_env env, napi_callback_info) {
  int fd;
  {
    std::lock_guard<std::mutex> lock(trackerMutex);
    fd = trackerFd;
  }
  napi_value result;
  MP_CALL(env, napi_create_int32(env, fd, &result));
  return result;
}

// adoptTrackerFd(fd) -> the process's tracker fd. Duplicates `fd` (close-on-exec) unless another
// thread adopted one first; the caller keeps ownership of `fd` either way.
napi_value AdoptTrackerFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int64_t fd = -1;
  if (argc < 1 || !GetInt64(env, argv[0], &fd) || fd < 0) {
    ThrowTypeError(env, "adoptTrackerFd(fd: number)");
    return nullptr;
  }
  int adopted;
  {
    std::lock_guard<std::mutex> lock(trackerMutex);
    if (trackerFd < 0) {
      int copy = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 3);
      if (copy < 0) {
        ThrowSystemError(env, errno, "fcntl", "");
        return nullptr;
      }
      trackerFd = copy;
    }
    adopted = trackerFd;
  }
  napi_value result;
  MP_CALL(env, napi_create_int32(env, adopted, &result));
  return result;
}

// resetTrackerFd(): forget a tracker whose pipe broke (it died), so the next caller starts another.
napi_value ResetTrackerFd(napi_env, napi_callback_info) {
  std::lock_guard<std::mutex> lock(trackerMutex);
  if (trackerFd >= 0) close(trackerFd);
  trackerFd = -1;
  return nullptr;
}

}  // namespace

void RegisterProcessState(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"getTrackerFd", nullptr, GetTrackerFd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adoptTrackerFd", nullptr, AdoptTrackerFd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"resetTrackerFd", nullptr, ResetTrackerFd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

}  // namespace multiproc
