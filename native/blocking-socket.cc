// Blocking stream sockets owned by the addon (never by libuv): connect, listen, accept, send, recv and poll
// on a descriptor, each bounded by a timeout, for connections with Python's blocking semantics.
//
// The descriptor is opened here and never handed to libuv: a socket libuv watches is non-blocking and may
// be read by the event loop at any time, so blocking reads on its descriptor would race it. Every wait
// is a poll() bounded by the caller's timeout; the JS side passes slices of at most 50 ms, so a worker
// thread blocked here can still be terminated between slices.
#include "common.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <unordered_set>

#if defined(__linux__)
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#endif

namespace multiproc {

// A thread that ends (a worker terminated mid-call, or done without closing) closes its sockets: the peer sees
// the end of the stream at once, as it does for a socket libuv owned, instead of a connection open for ever.
struct OpenSockets {
  std::unordered_set<int> fds;
};

#if defined(__linux__)
namespace {

// poll() for `events` up to `timeoutMs` (negative: no limit), restarted after EINTR with what is left.
// 1: ready, 0: timed out, -1: error (errno set).
int WaitFor(int fd, short events, int64_t timeoutMs) {
  struct pollfd p = {fd, events, 0};
  for (;;) {
    int rc = poll(&p, 1, timeoutMs < 0 ? -1 : static_cast<int>(timeoutMs > 0x7fffffff ? 0x7fffffff : timeoutMs));
    if (rc >= 0) return rc > 0 ? 1 : 0;
    if (errno != EINTR) return -1;
  }
}

// WaitFor on a JS call: a poll() failure is thrown as a system error (then -1, and the caller returns).
int WaitOrThrow(napi_env env, int64_t fd, short events, int64_t timeoutMs) {
  int ready = WaitFor(static_cast<int>(fd), events, timeoutMs);
  if (ready < 0) ThrowSystemError(env, errno, "poll", "");
  return ready;
}

bool SetBlocking(int fd, bool blocking) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0) return false;
  flags = blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  return fcntl(fd, F_SETFL, flags) == 0;
}

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// The address to use: a Unix path (a leading NUL is a Linux abstract name, used at its exact length), or a
// TCP host and port resolved by getaddrinfo (the first result; numeric hosts need no lookup).
struct Target {
  sockaddr_storage address;
  socklen_t length = 0;
  int family = AF_UNSPEC;
};

// false with errno-like code in *err (a getaddrinfo failure is EAI_* negated into *gai).
bool Resolve(napi_env env, bool unix, const std::string& host, int64_t port, bool passive, Target* out) {
  std::memset(&out->address, 0, sizeof(out->address));
  if (unix) {
    auto* un = reinterpret_cast<sockaddr_un*>(&out->address);
    if (host.empty() || host.size() > sizeof(un->sun_path) - (host[0] == '\0' ? 0 : 1)) {
      ThrowTypeError(env, "expected a Unix socket path that fits in sun_path");
      return false;
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, host.data(), host.size());
    out->length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + host.size() + (host[0] == '\0' ? 0 : 1));
    out->family = AF_UNIX;
    return true;
  }
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    std::string message = std::string("ENOTFOUND: ") + gai_strerror(rc) + ", getaddrinfo '" + host + "'";
    napi_value code, text, error;
    napi_create_string_utf8(env, "ENOTFOUND", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, message.c_str(), message.size(), &text);
    napi_create_error(env, code, text, &error);
    napi_value syscall;
    napi_create_string_utf8(env, "getaddrinfo", NAPI_AUTO_LENGTH, &syscall);
    napi_set_named_property(env, error, "syscall", syscall);
    napi_throw(env, error);
    return false;
  }
  std::memcpy(&out->address, found->ai_addr, found->ai_addrlen);
  out->length = found->ai_addrlen;
  out->family = found->ai_family;
  freeaddrinfo(found);
  return true;
}

napi_value Int(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

// Reads (unix: boolean, host: string, port: number) from args[0..2].
bool ReadAddress(napi_env env, napi_value* args, size_t argc, bool* unix, std::string* host, int64_t* port) {
  if (argc < 3 || napi_get_value_bool(env, args[0], unix) != napi_ok || !GetString(env, args[1], host) || !GetInt64(env, args[2], port)) {
    ThrowTypeError(env, "expected (unix: boolean, host or path: string, port: number, ...)");
    return false;
  }
  return true;
}

void CloseOpenSockets(void* arg) {
  auto* open = static_cast<OpenSockets*>(arg);
  for (int fd : open->fds) close(fd);
  delete open;
}

// The descriptor is this environment's until blockingClose.
napi_value Tracked(napi_env env, int fd) {
  EnvData* data = GetEnvData(env);
  if (data != nullptr) {
    if (data->openSockets == nullptr) {
      data->openSockets = new OpenSockets();
      napi_add_env_cleanup_hook(env, CloseOpenSockets, data->openSockets);
    }
    data->openSockets->fds.insert(fd);
  }
  return Int(env, fd);
}

// blockingConnect(unix, host, port, timeoutMs) -> fd. A blocking, close-on-exec socket (TCP_NODELAY for TCP).
napi_value Connect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  bool unix = false;
  std::string host;
  int64_t port = 0, timeoutMs = -1;
  if (!ReadAddress(env, args, argc, &unix, &host, &port)) return nullptr;
  if (argc < 4 || !GetInt64(env, args[3], &timeoutMs)) {
    ThrowTypeError(env, "expected a timeout in milliseconds (negative: none)");
    return nullptr;
  }
  Target target;
  if (!Resolve(env, unix, host, port, false, &target)) return nullptr;
  std::string where = unix ? (host[0] == '\0' ? "@" + host.substr(1) : host) : host + ":" + std::to_string(port);
  int fd = socket(target.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    ThrowSystemError(env, errno, "socket", where);
    return nullptr;
  }
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&target.address), target.length);
  int err = rc == 0 ? 0 : errno;
  if (rc != 0 && (err == EINPROGRESS || err == EINTR)) {
    int ready = WaitFor(fd, POLLOUT, timeoutMs);
    if (ready == 0) {
      err = ETIMEDOUT;
    } else if (ready < 0) {
      err = errno;
    } else {
      socklen_t length = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
    }
  }
  if (err == 0 && !SetBlocking(fd, true)) err = errno;
  if (err != 0) {
    close(fd);
    ThrowSystemError(env, err, "connect", where);
    return nullptr;
  }
  if (!unix) NoDelay(fd);
  return Tracked(env, fd);
}

// blockingListen(unix, host, port, backlog) -> [fd, port]. TCP sockets get SO_REUSEADDR, as Python's Listener sets.
napi_value Listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  bool unix = false;
  std::string host;
  int64_t port = 0, backlog = 0;
  if (!ReadAddress(env, args, argc, &unix, &host, &port)) return nullptr;
  if (argc < 4 || !GetInt64(env, args[3], &backlog)) {
    ThrowTypeError(env, "expected a backlog");
    return nullptr;
  }
  Target target;
  if (!Resolve(env, unix, host, port, true, &target)) return nullptr;
  std::string where = unix ? (host[0] == '\0' ? "@" + host.substr(1) : host) : host + ":" + std::to_string(port);
  int fd = socket(target.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ThrowSystemError(env, errno, "socket", where);
    return nullptr;
  }
  if (!unix) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  }
  const char* failed = nullptr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&target.address), target.length) != 0) failed = "bind";
  else if (listen(fd, static_cast<int>(backlog)) != 0) failed = "listen";
  if (failed != nullptr) {
    int err = errno;
    close(fd);
    ThrowSystemError(env, err, failed, where);
    return nullptr;
  }
  int64_t bound = 0;
  if (!unix) {
    sockaddr_storage local;
    socklen_t length = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      bound = local.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    }
  }
  napi_value result;
  MP_CALL(env, napi_create_array_with_length(env, 2, &result));
  napi_set_element(env, result, 0, Tracked(env, fd));
  napi_set_element(env, result, 1, Int(env, bound));
  return result;
}

// blockingAccept(fd, timeoutMs) -> the accepted fd, or -1 when nothing came in time.
napi_value Accept(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int64_t fd = -1, timeoutMs = -1;
  if (argc < 2 || !GetInt64(env, args[0], &fd) || !GetInt64(env, args[1], &timeoutMs)) {
    ThrowTypeError(env, "expected (fd: number, timeoutMs: number)");
    return nullptr;
  }
  for (;;) {
    int ready = WaitOrThrow(env, fd, POLLIN, timeoutMs);
    if (ready < 0) return nullptr;
    if (ready == 0) return Int(env, -1);
    int conn = accept4(static_cast<int>(fd), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn >= 0) {
      // Accepted without blocking (another thread may have taken the connection); blocking from now on.
      SetBlocking(conn, true);
      sockaddr_storage local;
      socklen_t length = sizeof(local);
      if (getsockname(conn, reinterpret_cast<sockaddr*>(&local), &length) == 0 && local.ss_family != AF_UNIX) NoDelay(conn);
      return Tracked(env, conn);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
      if (timeoutMs == 0) return Int(env, -1);
      continue;
    }
    ThrowSystemError(env, errno, "accept", "");
    return nullptr;
  }
}

// The bytes [offset, offset + length) of a Uint8Array argument.
bool GetBytes(napi_env env, napi_value array, napi_value offsetValue, napi_value lengthValue, uint8_t** out, size_t* length) {
  bool isTypedArray = false;
  napi_is_typedarray(env, array, &isTypedArray);
  if (!isTypedArray) return false;
  napi_typedarray_type type;
  size_t size = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, array, &type, &size, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
  int64_t offset = 0, count = 0;
  if (!GetInt64(env, offsetValue, &offset) || !GetInt64(env, lengthValue, &count)) return false;
  if (offset < 0 || count < 0 || static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) > size) return false;
  *out = static_cast<uint8_t*>(data) + offset;
  *length = static_cast<size_t>(count);
  return true;
}

// blockingSend(fd, bytes, offset, length, timeoutMs, more) -> bytes written (0 when the socket took nothing in
// time). `more` holds the bytes back for the ones that follow (a header before its payload).
napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int64_t fd = -1, timeoutMs = -1;
  uint8_t* data = nullptr;
  size_t length = 0;
  bool more = false;
  if (argc < 6 || !GetInt64(env, args[0], &fd) || !GetBytes(env, args[1], args[2], args[3], &data, &length) ||
      !GetInt64(env, args[4], &timeoutMs) || !GetBool(env, args[5], &more)) {
    ThrowTypeError(env, "expected (fd, bytes: Uint8Array, offset, length, timeoutMs, more: boolean)");
    return nullptr;
  }
  size_t sent = 0;
  int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
  while (sent < length) {
    ssize_t n = send(static_cast<int>(fd), data + sent, length - sent, flags);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ThrowSystemError(env, errno, "send", "");
      return nullptr;
    }
    // The send buffer is full: wait for room, once; what was written so far is reported either way.
    int ready = WaitOrThrow(env, fd, POLLOUT, timeoutMs);
    if (ready < 0) return nullptr;
    if (ready == 0) break;
  }
  return Int(env, static_cast<int64_t>(sent));
}

int64_t MonotonicNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// blockingRecv(fd, bytes, offset, length, timeoutMs, spinNs) -> bytes read (at least 1), 0 at the end of the
// stream, -1 when nothing came in time. Before sleeping in poll() it tries the socket for up to `spinNs`.
napi_value Recv(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int64_t fd = -1, timeoutMs = -1, spinNs = 0;
  uint8_t* data = nullptr;
  size_t length = 0;
  if (argc < 6 || !GetInt64(env, args[0], &fd) || !GetBytes(env, args[1], args[2], args[3], &data, &length) || !GetInt64(env, args[4], &timeoutMs) ||
      !GetInt64(env, args[5], &spinNs)) {
    ThrowTypeError(env, "expected (fd, bytes: Uint8Array, offset, length, timeoutMs, spinNs)");
    return nullptr;
  }
  if (length == 0) return Int(env, -1);
  if (timeoutMs != 0 && spinNs > 0) {
    // Try the socket for a moment before sleeping: an answer that comes within microseconds is taken as it
    // lands, without the sleep and the wake-up (on a virtual machine an idle CPU halts, and waking it costs
    // most of a loopback round trip). Each try yields the CPU, so a peer waiting for this core still runs.
    // Never past the call's own timeout: a short wait stays short.
    const int64_t budget = timeoutMs > 0 && timeoutMs * 1000000 < spinNs ? timeoutMs * 1000000 : spinNs;
    const int64_t until = MonotonicNs() + budget;
    do {
      ssize_t n = recv(static_cast<int>(fd), data, length, MSG_DONTWAIT);
      if (n >= 0) return Int(env, n);
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        ThrowSystemError(env, errno, "recv", "");
        return nullptr;
      }
      sched_yield();
    } while (MonotonicNs() < until);
  }
  for (;;) {
    // Then poll: the answer is not coming soon, and poll + recv is one call fewer than a recv that fails, a
    // poll and a recv.
    int ready = WaitOrThrow(env, fd, POLLIN, timeoutMs);
    if (ready < 0) return nullptr;
    if (ready == 0) return Int(env, -1);
    ssize_t n = recv(static_cast<int>(fd), data, length, MSG_DONTWAIT);
    if (n >= 0) return Int(env, n);
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
      if (timeoutMs == 0) return Int(env, -1);
      continue;
    }
    ThrowSystemError(env, errno, "recv", "");
    return nullptr;
  }
}

// blockingPoll(fd, timeoutMs) -> whether the socket is readable (data, the end of the stream, or an error).
napi_value Poll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int64_t fd = -1, timeoutMs = 0;
  if (argc < 2 || !GetInt64(env, args[0], &fd) || !GetInt64(env, args[1], &timeoutMs)) {
    ThrowTypeError(env, "expected (fd: number, timeoutMs: number)");
    return nullptr;
  }
  int ready = WaitOrThrow(env, fd, POLLIN, timeoutMs);
  if (ready < 0) return nullptr;
  napi_value result;
  MP_CALL(env, napi_get_boolean(env, ready > 0, &result));
  return result;
}

// blockingClose(fd): closes the descriptor (a listener's Unix socket file is the caller's to remove).
napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int64_t fd = -1;
  if (argc < 1 || !GetInt64(env, args[0], &fd) || fd < 0) {
    ThrowTypeError(env, "expected (fd: number)");
    return nullptr;
  }
  EnvData* data = GetEnvData(env);
  if (data != nullptr && data->openSockets != nullptr) data->openSockets->fds.erase(static_cast<int>(fd));
  close(static_cast<int>(fd));
  return nullptr;
}

}  // namespace
#endif

// Linux only (accept4, MSG_MORE); elsewhere the functions are absent and the TS side says so.
void RegisterBlockingSocket(napi_env env, napi_value exports) {
#if defined(__linux__)
  const struct {
    const char* name;
    napi_callback callback;
  } functions[] = {
      {"blockingConnect", Connect}, {"blockingListen", Listen}, {"blockingAccept", Accept}, {"blockingSend", Send},
      {"blockingRecv", Recv},       {"blockingPoll", Poll},     {"blockingClose", Close},
  };
  for (const auto& f : functions) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.callback, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
#endif
}

}  // namespace multiproc
