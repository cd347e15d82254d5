// Cross-process futex wait/wake on an Int32Array slot in shared memory.
//
// V8's Atomics.wait/notify keep their own waiter list per mapping and never wake another process;
// a shared futex (no FUTEX_PRIVATE_FLAG) does, across processes and languages. Blocking waits are
// one slice per call (the JS side loops, so worker.terminate() can interrupt between slices). Async
// waits run on this addon's own waiter threads, never on the libuv threadpool, in slices of 100 ms
// so cancellation and environment teardown are noticed; results come back through one
// threadsafe function per environment.
#include "common.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace multiproc {

namespace {

enum WaitResult { kOk = 0, kNotEqual = 1, kTimedOut = 2 };

constexpr int64_t kAsyncSliceMs = 100;

// One futex wait of at most `timeoutMs` (negative: no limit). EINTR counts as a wake-up: callers
// re-check the word anyway.
WaitResult WaitOnce(int32_t* address, int32_t expected, int64_t timeoutMs) {
#ifdef __linux__
  struct timespec ts;
  struct timespec* tsp = nullptr;
  if (timeoutMs >= 0) {
    ts.tv_sec = timeoutMs / 1000;
    ts.tv_nsec = (timeoutMs % 1000) * 1000000;
    tsp = &ts;
  }
  long rc = syscall(SYS_futex, address, FUTEX_WAIT, expected, tsp, nullptr, 0);
  if (rc == 0) return kOk;
  if (errno == EAGAIN) return kNotEqual;
  if (errno == ETIMEDOUT) return kTimedOut;
  return kOk;
#else
  // Portable fallback: poll the word every 200 us. Correct across processes, slower to wake.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs < 0 ? 3600000 : timeoutMs);
  if (__atomic_load_n(address, __ATOMIC_SEQ_CST) != expected) return kNotEqual;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (__atomic_load_n(address, __ATOMIC_SEQ_CST) != expected) return kOk;
  }
  return kTimedOut;
#endif
}

int WakeAll(int32_t* address, int32_t count) {
#ifdef __linux__
  long rc = syscall(SYS_futex, address, FUTEX_WAKE, count, nullptr, nullptr, 0);
  return rc < 0 ? 0 : static_cast<int>(rc);
#else
  (void)address;
  (void)count;
  return 0;
#endif
}

struct AsyncWait {
  uint32_t id;
  int32_t* address;
  int32_t expected;
  int64_t timeoutMs;
  std::chrono::steady_clock::time_point start;
  napi_ref keepAlive;  // the typed array, so the mapping outlives the wait
  WaitResult result;
};

}  // namespace

struct FutexWaiters {
  napi_env env = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  napi_ref callback = nullptr;
  std::mutex mutex;
  std::condition_variable available;
  std::deque<AsyncWait*> queue;
  std::unordered_map<uint32_t, bool> cancelled;
  std::vector<std::thread> threads;
  size_t idle = 0;
  size_t pending = 0;  // waits started and not yet delivered (JS thread only)
  uint32_t nextId = 1;
  bool stopping = false;

  void Run() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      idle++;
      available.wait(lock, [this] { return stopping || !queue.empty(); });
      idle--;
      if (stopping) return;
      AsyncWait* wait = queue.front();
      queue.pop_front();
      lock.unlock();
      wait->result = Park(wait);
      napi_call_threadsafe_function(tsfn, wait, napi_tsfn_nonblocking);
      lock.lock();
    }
  }

  bool ShouldStop(uint32_t id) {
    std::lock_guard<std::mutex> lock(mutex);
    return stopping || cancelled.count(id) > 0;
  }

  WaitResult Park(AsyncWait* wait) {
    for (;;) {
      int64_t slice = kAsyncSliceMs;
      if (wait->timeoutMs >= 0) {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - wait->start).count();
        int64_t left = wait->timeoutMs - elapsed;
        if (left <= 0) return kTimedOut;
        if (left < slice) slice = left;
      }
      WaitResult r = WaitOnce(wait->address, wait->expected, slice);
      if (r != kTimedOut) return r;
      if (ShouldStop(wait->id)) return kTimedOut;
    }
  }
};

namespace {

// Runs on the JS thread: hands (id, result) to the registered callback and releases the wait.
void DeliverResult(napi_env env, napi_value, void* context, void* data) {
  auto* waiters = static_cast<FutexWaiters*>(context);
  auto* wait = static_cast<AsyncWait*>(data);
  if (env != nullptr) {
    napi_delete_reference(env, wait->keepAlive);
    {
      std::lock_guard<std::mutex> lock(waiters->mutex);
      waiters->cancelled.erase(wait->id);
    }
    if (--waiters->pending == 0) napi_unref_threadsafe_function(env, waiters->tsfn);
    napi_value callback, global, args[2];
    if (napi_get_reference_value(env, waiters->callback, &callback) == napi_ok && callback != nullptr) {
      napi_get_global(env, &global);
      napi_create_uint32(env, wait->id, &args[0]);
      napi_create_int32(env, wait->result, &args[1]);
      napi_call_function(env, global, callback, 2, args, nullptr);
    }
  }
  delete wait;
}

void FreeWaiters(napi_env, void* data, void*) { delete static_cast<FutexWaiters*>(data); }

void StopWaiters(void* arg) {
  auto* waiters = static_cast<FutexWaiters*>(arg);
  {
    std::lock_guard<std::mutex> lock(waiters->mutex);
    waiters->stopping = true;
  }
  waiters->available.notify_all();
  for (auto& thread : waiters->threads) thread.join();
  waiters->threads.clear();
  EnvData* data = GetEnvData(waiters->env);
  if (data != nullptr) data->waiters = nullptr;
  // Frees `waiters` (FreeWaiters) once the queue is drained.
  napi_release_threadsafe_function(waiters->tsfn, napi_tsfn_abort);
}

struct WaitArgs {
  napi_value array;
  int32_t* address = nullptr;
  int32_t expected = 0;
  int64_t timeoutMs = 0;
};

// Reads (int32Array, index, expected, timeoutMs); throws a TypeError naming `signature` when they are wrong.
bool ParseWaitArgs(napi_env env, napi_callback_info info, const char* signature, WaitArgs* out) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4 ||
      !GetInt32Slot(env, argv[0], argv[1], &out->address) ||
      napi_get_value_int32(env, argv[2], &out->expected) != napi_ok || !GetInt64(env, argv[3], &out->timeoutMs)) {
    ThrowTypeError(env, signature);
    return false;
  }
  out->array = argv[0];
  return true;
}

// wait(int32Array, index, expected, timeoutMs) -> 0 ok | 1 not-equal | 2 timed-out. One slice; blocking.
napi_value Wait(napi_env env, napi_callback_info info) {
  WaitArgs args;
  if (!ParseWaitArgs(env, info, "futexWait(array: Int32Array, index: number in range, expected: int32, timeoutMs: number)", &args)) {
    return nullptr;
  }
  napi_value result;
  MP_CALL(env, napi_create_int32(env, WaitOnce(args.address, args.expected, args.timeoutMs), &result));
  return result;
}

// wake(int32Array, index, count) -> number of waiters woken
napi_value Wake(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t* address = nullptr;
  int32_t count = 0;
  if (argc < 3 || !GetInt32Slot(env, argv[0], argv[1], &address) ||
      napi_get_value_int32(env, argv[2], &count) != napi_ok) {
    ThrowTypeError(env, "futexWake(array: Int32Array, index: number in range, count: int32)");
    return nullptr;
  }
  napi_value result;
  MP_CALL(env, napi_create_int32(env, WakeAll(address, count), &result));
  return result;
}

FutexWaiters* EnsureWaiters(napi_env env) {
  EnvData* data = GetEnvData(env);
  if (data->waiters != nullptr) return data->waiters;
  auto* waiters = new FutexWaiters();
  waiters->env = env;
  napi_value name;
  napi_create_string_utf8(env, "multiproc.futexWaitAsync", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, waiters, FreeWaiters, waiters,
                                      DeliverResult, &waiters->tsfn) != napi_ok) {
    delete waiters;
    return nullptr;
  }
  napi_unref_threadsafe_function(env, waiters->tsfn);
  napi_add_env_cleanup_hook(env, StopWaiters, waiters);
  data->waiters = waiters;
  return waiters;
}

// setWaitCallback(fn(id, result))
napi_value SetWaitCallback(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  FutexWaiters* waiters = EnsureWaiters(env);
  if (waiters == nullptr) {
    napi_throw_error(env, nullptr, "cannot create the futex waiter channel");
    return nullptr;
  }
  if (waiters->callback != nullptr) napi_delete_reference(env, waiters->callback);
  MP_CALL(env, napi_create_reference(env, argv[0], 1, &waiters->callback));
  return nullptr;
}

// waitAsync(int32Array, index, expected, timeoutMs) -> id; the callback later gets (id, result).
napi_value WaitAsync(napi_env env, napi_callback_info info) {
  WaitArgs args;
  if (!ParseWaitArgs(env, info, "futexWaitAsync(array: Int32Array, index: number in range, expected: int32, timeoutMs: number)", &args)) {
    return nullptr;
  }
  FutexWaiters* waiters = EnsureWaiters(env);
  if (waiters == nullptr || waiters->callback == nullptr) {
    napi_throw_error(env, nullptr, "futexWaitAsync before setWaitCallback");
    return nullptr;
  }
  auto* wait = new AsyncWait{0, args.address, args.expected, args.timeoutMs, std::chrono::steady_clock::now(), nullptr, kOk};
  MP_CALL(env, napi_create_reference(env, args.array, 1, &wait->keepAlive));
  if (waiters->pending++ == 0) napi_ref_threadsafe_function(env, waiters->tsfn);
  {
    std::lock_guard<std::mutex> lock(waiters->mutex);
    wait->id = waiters->nextId++;
    waiters->queue.push_back(wait);
    if (waiters->idle < waiters->queue.size()) waiters->threads.emplace_back([waiters] { waiters->Run(); });
  }
  waiters->available.notify_one();
  napi_value result;
  MP_CALL(env, napi_create_uint32(env, wait->id, &result));
  return result;
}

// cancelWait(id): the waiter thread gives up at its next slice and reports a time-out.
napi_value CancelWait(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MP_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int64_t id = 0;
  if (argc < 1 || !GetInt64(env, argv[0], &id)) {
    ThrowTypeError(env, "cancelWait(id: number)");
    return nullptr;
  }
  FutexWaiters* waiters = GetEnvData(env)->waiters;
  if (waiters != nullptr) {
    std::lock_guard<std::mutex> lock(waiters->mutex);
    waiters->cancelled[static_cast<uint32_t>(id)] = true;
  }
  return nullptr;
}

// waiterThreads() -> number of waiter threads this environment has started (for tests).
napi_value WaiterThreads(napi_env env, napi_callback_info) {
  FutexWaiters* waiters = GetEnvData(env)->waiters;
  size_t count = 0;
  if (waiters != nullptr) {
    std::lock_guard<std::mutex> lock(waiters->mutex);
    count = waiters->threads.size();
  }
  napi_value result;
  MP_CALL(env, napi_create_uint32(env, static_cast<uint32_t>(count), &result));
  return result;
}

}  // namespace

void RegisterFutex(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"futexWait", nullptr, Wait, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"futexWake", nullptr, Wake, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"futexWaitAsync", nullptr, WaitAsync, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"cancelWait", nullptr, CancelWait, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setWaitCallback", nullptr, SetWaitCallback, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"waiterThreads", nullptr, WaiterThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

}  // namespace multiproc
