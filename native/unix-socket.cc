// Unix stream sockets in the Linux abstract namespace, bound and connected with the name's exact length, as
// Python does (libuv pads such names to the whole sun_path, so Node alone cannot meet a Python peer there).
#include "common.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

namespace multiproc {

#if defined(__linux__)
// The address of `name` (its first byte a NUL) and its length; false when it does not fit.
static bool AbstractAddress(const std::string& name, sockaddr_un* address, socklen_t* length) {
  if (name.empty() || name[0] != '\0' || name.size() > sizeof(address->sun_path)) return false;
  std::memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
  std::memcpy(address->sun_path, name.data(), name.size());
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  return true;
}

static napi_value OpenAbstract(napi_env env, napi_callback_info info, bool listening) {
  size_t argc = 2;
  napi_value args[2];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  std::string name;
  int64_t backlog = 0;
  sockaddr_un address;
  socklen_t length = 0;
  if (argc < 1 || !GetString(env, args[0], &name) || !AbstractAddress(name, &address, &length)) {
    ThrowTypeError(env, "expected an abstract socket name (a leading NUL, at most 108 bytes)");
    return nullptr;
  }
  if (listening && (argc < 2 || !GetInt64(env, args[1], &backlog))) {
    ThrowTypeError(env, "expected a backlog");
    return nullptr;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (listening ? 0 : SOCK_NONBLOCK), 0);
  if (fd < 0) {
    ThrowSystemError(env, errno, "socket", "");
    return nullptr;
  }
  const char* failed = nullptr;
  if (listening) {
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) failed = "bind";
    else if (listen(fd, static_cast<int>(backlog)) != 0) failed = "listen";
  } else {
    // Non-blocking: a full backlog is EAGAIN (the caller retries) rather than a blocked thread.
    int result;
    do {
      result = connect(fd, reinterpret_cast<sockaddr*>(&address), length);
    } while (result != 0 && errno == EINTR);
    if (result != 0) failed = "connect";
  }
  if (failed != nullptr) {
    int err = errno;
    close(fd);
    ThrowSystemError(env, err, failed, "@" + name.substr(1));
    return nullptr;
  }
  napi_value result;
  MP_CALL(env, napi_create_int32(env, fd, &result));
  return result;
}

static napi_value AbstractListen(napi_env env, napi_callback_info info) { return OpenAbstract(env, info, true); }
static napi_value AbstractConnect(napi_env env, napi_callback_info info) { return OpenAbstract(env, info, false); }
#endif

void RegisterUnixSocket(napi_env env, napi_value exports) {
#if defined(__linux__)
  napi_value fn;
  napi_create_function(env, "abstractListen", NAPI_AUTO_LENGTH, AbstractListen, nullptr, &fn);
  napi_set_named_property(env, exports, "abstractListen", fn);
  napi_create_function(env, "abstractConnect", NAPI_AUTO_LENGTH, AbstractConnect, nullptr, &fn);
  napi_set_named_property(env, exports, "abstractConnect", fn);
#endif
}

}  // namespace multiproc
