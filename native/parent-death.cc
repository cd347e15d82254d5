// Dying with the parent: a pool worker process must not outlive the pool that forked it, even while a
// CPU-bound task blocks its event loop (so the IPC channel's 'disconnect' never runs).
//
// Linux: PR_SET_PDEATHSIG makes the kernel send SIGKILL when the parent goes. The kernel fires it when the
// *thread* that forked this process exits, not when the parent process does: the pool forks from the thread
// whose event loop owns the pool (the main thread of the parent, or the worker thread a pool was created
// in), and that thread ending ends the pool anyway. Elsewhere: a watcher thread that polls getppid().
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace multiproc {

namespace {

std::atomic<bool> watching{false};

// The parent already died (this process was re-parented to init or a subreaper): die now, the way the
// parent's death would have killed us had the signal been set in time.
void DieIfOrphaned(pid_t expectedParent) {
  if (getppid() != expectedParent) kill(getpid(), SIGKILL);
}

// Reads (expectedParentPid[, intervalMs]), both positive integers.
bool ReadArgs(napi_env env, napi_callback_info info, size_t want, int64_t* pid, int64_t* intervalMs) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) return false;
  if (!GetInt64(env, argv[0], pid) || *pid <= 0) return false;
  return want < 2 || (GetInt64(env, argv[1], intervalMs) && *intervalMs > 0);
}

// setParentDeathSignal(expectedParentPid) -> true on Linux (SIGKILL on the parent's death is set), false
// elsewhere. Checks the parent after setting the signal: a parent that died before that (while this process
// started) never sends it.
napi_value SetParentDeathSignal(napi_env env, napi_callback_info info) {
  int64_t parent = 0;
  if (!ReadArgs(env, info, 1, &parent, nullptr)) {
    ThrowTypeError(env, "setParentDeathSignal(expectedParentPid: number)");
    return nullptr;
  }
  bool set = false;
#ifdef __linux__
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    ThrowSystemError(env, errno, "prctl", "");
    return nullptr;
  }
  DieIfOrphaned(static_cast<pid_t>(parent));
  set = true;
#endif
  napi_value result;
  MP_CALL(env, napi_get_boolean(env, set, &result));
  return result;
}

// watchParent(expectedParentPid, intervalMs) -> whether it started the watcher (false: one already runs).
// One detached thread per process, asleep between checks: nothing per task, a few wake-ups a second. It
// is never stopped; it dies with the process.
napi_value WatchParent(napi_env env, napi_callback_info info) {
  int64_t parent = 0;
  int64_t intervalMs = 0;
  if (!ReadArgs(env, info, 2, &parent, &intervalMs)) {
    ThrowTypeError(env, "watchParent(expectedParentPid: number, intervalMs: number)");
    return nullptr;
  }
  DieIfOrphaned(static_cast<pid_t>(parent));
  bool started = !watching.exchange(true);
  if (started) {
    // Block every signal in the new thread (it inherits the mask), so process-directed signals still go to
    // Node's threads.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    std::thread([expected = static_cast<pid_t>(parent), interval = std::chrono::milliseconds(intervalMs)] {
      for (;;) {
        std::this_thread::sleep_for(interval);
        DieIfOrphaned(expected);
      }
    }).detach();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  napi_value result;
  MP_CALL(env, napi_get_boolean(env, started, &result));
  return result;
}

}  // namespace

void RegisterParentDeath(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setParentDeathSignal", nullptr, SetParentDeathSignal, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"watchParent", nullptr, WatchParent, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

}  // namespace multiproc
