// Shared helpers for the addon: per-environment state, error throwing and argument reading.
#pragma once

#include <node_api.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace multiproc {

struct FutexWaiters;
struct LoopSpin;
struct OpenSockets;

// One per Node environment (main thread or worker thread).
struct EnvData {
  // Bytes of mappings that were reported to V8 and later freed by the garbage collector on a
  // background thread; drained (reported back as negative) on the next call from this environment.
  std::shared_ptr<std::atomic<int64_t>> pendingRelease = std::make_shared<std::atomic<int64_t>>(0);
  FutexWaiters* waiters = nullptr;
  // The spin before this environment's event loop sleeps (loop-spin.cc), made on first use.
  LoopSpin* loopSpin = nullptr;
  // The blocking sockets this environment opened and has not closed (blocking-socket.cc), closed with it.
  OpenSockets* openSockets = nullptr;
};

EnvData* GetEnvData(napi_env env);
void DrainPendingRelease(napi_env env);

// Throws a JS Error with Node's system-error shape: code ('ENOENT'), errno (negative), syscall, path.
void ThrowSystemError(napi_env env, int err, const char* syscall, const std::string& path);
void ThrowTypeError(napi_env env, const char* message);

bool GetString(napi_env env, napi_value value, std::string* out);
bool GetInt64(napi_env env, napi_value value, int64_t* out);
bool GetDouble(napi_env env, napi_value value, double* out);
bool GetBool(napi_env env, napi_value value, bool* out);
// Pointer to element `index` of an Int32Array argument, checked against its length.
bool GetInt32Slot(napi_env env, napi_value array, napi_value index, int32_t** out);

void RegisterSegment(napi_env env, napi_value exports);
void RegisterFutex(napi_env env, napi_value exports);
void RegisterProcessState(napi_env env, napi_value exports);
void RegisterParentDeath(napi_env env, napi_value exports);
void RegisterUnixSocket(napi_env env, napi_value exports);
void RegisterBlockingSocket(napi_env env, napi_value exports);
void RegisterLoopSpin(napi_env env, napi_value exports);

}  // namespace multiproc

#define MP_CALL(env, call)                                        \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error((env), nullptr, "internal N-API failure: " #call); \
      return nullptr;                                             \
    }                                                             \
  } while (0)
