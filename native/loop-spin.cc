// A spin before the event loop sleeps: while held, and for a short window after the last sign of traffic (a hold,
// or a touch), each time libuv is about to block for I/O this thread first tries the loop's epoll descriptor for a
// moment (yielding the CPU between tries), so that a reply arriving within microseconds is taken without the cost
// of waking an idle CPU. Past the window the loop sleeps at once: a call left waiting for minutes, or a server with
// idle clients, costs nothing however often the loop wakes for other work.
#include "common.h"

#include <uv.h>

#if defined(__linux__)
#include <poll.h>
#include <sched.h>
#include <time.h>
#endif

namespace multiproc {

struct LoopSpin {
  uv_prepare_t prepare;
  int holders = 0;
  int64_t spinNs = 0;
  // When traffic was last seen (a hold or a touch), CLOCK_MONOTONIC nanoseconds.
  int64_t touchedNs = 0;
};

namespace {

// How long after the last hold or touch the loop still spins: a reply, or the next request, comes well within it.
constexpr int64_t kWindowNs = 20 * 1000000;

#if defined(__linux__)
int64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// Runs right before libuv computes its poll timeout and blocks. Spins only when the loop would really sleep
// (no immediate, idle or pending work), never past the next timer, and stops as soon as an event is ready.
void OnPrepare(uv_prepare_t* handle) {
  auto* spin = static_cast<LoopSpin*>(handle->data);
  if (spin->holders <= 0 || spin->spinNs <= 0) return;
  const int64_t now = NowNs();
  if (now - spin->touchedNs > kWindowNs) return;
  int timeoutMs = uv_backend_timeout(handle->loop);
  if (timeoutMs == 0) return;
  int64_t budget = spin->spinNs;
  if (timeoutMs > 0 && static_cast<int64_t>(timeoutMs) * 1000000 < budget) budget = static_cast<int64_t>(timeoutMs) * 1000000;
  pollfd p{uv_backend_fd(handle->loop), POLLIN, 0};
  const int64_t deadline = now + budget;
  for (;;) {
    if (poll(&p, 1, 0) != 0) return;
    if (NowNs() >= deadline) return;
    sched_yield();
  }
}
#endif

void CloseSpin(void* arg) {
  auto* spin = static_cast<LoopSpin*>(arg);
  uv_close(reinterpret_cast<uv_handle_t*>(&spin->prepare), [](uv_handle_t* handle) { delete static_cast<LoopSpin*>(handle->data); });
}

// The spin of this environment's loop, made on first use; closed with the environment.
LoopSpin* SpinOf(napi_env env) {
  EnvData* data = GetEnvData(env);
  if (data == nullptr) return nullptr;
  if (data->loopSpin != nullptr) return data->loopSpin;
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return nullptr;
  auto* spin = new LoopSpin();
  spin->prepare.data = spin;
  uv_prepare_init(loop, &spin->prepare);
  // The handle never keeps the loop alive: the program ends when nothing else is left.
  uv_unref(reinterpret_cast<uv_handle_t*>(&spin->prepare));
  napi_add_env_cleanup_hook(env, CloseSpin, spin);
  data->loopSpin = spin;
  return spin;
}

// loopSpinHold(spinNs): one more holder; the loop spins up to the largest `spinNs` asked while any holder is left.
napi_value Hold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int64_t spinNs = 0;
  if (argc < 1 || !GetInt64(env, args[0], &spinNs) || spinNs < 0) {
    ThrowTypeError(env, "expected (spinNs: number >= 0)");
    return nullptr;
  }
  LoopSpin* spin = SpinOf(env);
  if (spin == nullptr) {
    napi_throw_error(env, nullptr, "this environment has no event loop to spin");
    return nullptr;
  }
#if defined(__linux__)
  spin->touchedNs = NowNs();
  if (spin->holders++ == 0) {
    spin->spinNs = spinNs;
    uv_prepare_start(&spin->prepare, OnPrepare);
  } else if (spinNs > spin->spinNs) {
    spin->spinNs = spinNs;
  }
#endif
  return nullptr;
}

// loopSpinTouch(): traffic now (a request served, a message sent): the window starts again.
napi_value Touch(napi_env env, napi_callback_info info) {
#if defined(__linux__)
  EnvData* data = GetEnvData(env);
  if (data != nullptr && data->loopSpin != nullptr) data->loopSpin->touchedNs = NowNs();
#endif
  return nullptr;
}

// loopSpinRelease(): one holder less; the last one stops the spin.
napi_value Release(napi_env env, napi_callback_info info) {
  LoopSpin* spin = GetEnvData(env) == nullptr ? nullptr : GetEnvData(env)->loopSpin;
  if (spin == nullptr || spin->holders <= 0) return nullptr;
  if (--spin->holders == 0) {
    spin->spinNs = 0;
    uv_prepare_stop(&spin->prepare);
  }
  return nullptr;
}

}  // namespace

void RegisterLoopSpin(napi_env env, napi_value exports) {
  napi_value hold, touch, release;
  napi_create_function(env, "loopSpinHold", NAPI_AUTO_LENGTH, Hold, nullptr, &hold);
  napi_set_named_property(env, exports, "loopSpinHold", hold);
  napi_create_function(env, "loopSpinTouch", NAPI_AUTO_LENGTH, Touch, nullptr, &touch);
  napi_set_named_property(env, exports, "loopSpinTouch", touch);
  napi_create_function(env, "loopSpinRelease", NAPI_AUTO_LENGTH, Release, nullptr, &release);
  napi_set_named_property(env, exports, "loopSpinRelease", release);
}

}  // namespace multiproc
